//! Demo data for `govskills serve --demo`: a ministry with two departments and the five demo
//! accounts of DESIGN.md section 4. Loading it twice changes nothing.

use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::{
    Result,
    accounts::{self, GrantRequest, NewUser},
    org,
    types::{Email, Name, Role},
};

/// The password of every demo account. Published, hence demo data is refused in production.
pub const PASSWORD: &str = "demo-password-2026";

#[derive(Debug)]
pub struct DemoAccount {
    pub email: &'static str,
    pub description: &'static str,
}

#[derive(Debug)]
pub struct Seeded {
    pub accounts: Vec<DemoAccount>,
}

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const CITIZEN_SERVICES: &str = "Department of Citizen Services";
const DATA_AND_AI: &str = "Department of Data and AI";

pub async fn seed(db: &DatabaseConnection) -> Result<Seeded> {
    let txn = db.begin().await?;
    let ministry = org::find_or_create_authority(&txn, Name::parse(MINISTRY, "name")?).await?;
    let citizen =
        org::find_or_create_child(&txn, &ministry, Name::parse(CITIZEN_SERVICES, "name")?).await?;
    let data_ai =
        org::find_or_create_child(&txn, &ministry, Name::parse(DATA_AND_AI, "name")?).await?;

    let at_ministry = Some(ministry.id);
    let accounts: [(&str, &str, &str, uuid::Uuid, Vec<GrantRequest>); 5] = [
        (
            "admin@demo.govskills.test",
            "Ada Admin",
            "platform administrator",
            ministry.id,
            vec![GrantRequest {
                role: Role::Admin,
                org_unit_id: None,
            }],
        ),
        (
            "hr@demo.govskills.test",
            "Hanna HR",
            "HR officer for the whole ministry",
            ministry.id,
            vec![GrantRequest {
                role: Role::Hr,
                org_unit_id: at_ministry,
            }],
        ),
        (
            "trainer@demo.govskills.test",
            "Tomas Trainer",
            "trainer for the ministry",
            data_ai.id,
            vec![GrantRequest {
                role: Role::Trainer,
                org_unit_id: at_ministry,
            }],
        ),
        (
            "learner1@demo.govskills.test",
            "Lena Learner",
            "learner, Department of Citizen Services",
            citizen.id,
            vec![],
        ),
        (
            "learner2@demo.govskills.test",
            "Luis Learner",
            "learner, Department of Data and AI",
            data_ai.id,
            vec![],
        ),
    ];
    let mut seeded = Vec::new();
    for (email, name, description, unit, grants) in accounts {
        if accounts::find_by_email(&txn, &Email::parse(email)?)
            .await?
            .is_none()
        {
            accounts::provision(
                &txn,
                NewUser {
                    email: email.to_owned(),
                    display_name: name.to_owned(),
                    password: PASSWORD.to_owned(),
                    org_unit_id: unit,
                },
                &grants,
            )
            .await?;
        }
        seeded.push(DemoAccount { email, description });
    }
    txn.commit().await?;
    Ok(Seeded { accounts: seeded })
}
