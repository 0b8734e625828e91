//! `batch!`: the batch reads behind the API's DataLoaders, which all have one shape: the rows of
//! one entity whose column is one of `ids`, optionally ordered, with no query for no ids.

/// Defines `pub async fn $name(db, ids) -> Result<Vec<$entity::Model>>` selecting the rows whose
/// `$column` is in `ids`, ordered by `$order` when given.
macro_rules! batch {
    ($(#[$doc:meta])* $name:ident, $entity:ident, $column:ident $(, $order:ident)?) => {
        $(#[$doc])*
        pub async fn $name(
            db: &impl ::sea_orm::ConnectionTrait,
            ids: &[::uuid::Uuid],
        ) -> $crate::Result<Vec<$entity::Model>> {
            use ::sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let query = $entity::Entity::find()
                .filter($entity::Column::$column.is_in(ids.iter().copied()));
            $(let query = ::sea_orm::QueryOrder::order_by_asc(query, $entity::Column::$order);)?
            Ok(query.all(db).await?)
        }
    };
}
