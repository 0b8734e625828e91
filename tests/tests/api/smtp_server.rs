//! A real SMTP server for the notification tests: aiosmtpd (`tests/smtp/server.py`) on a loopback
//! port, from a virtualenv under `target/` made from `tests/smtp/requirements.txt`, and what it
//! received, parsed: envelope, headers, subject (RFC 2047 decoded), text and HTML parts.

use std::{
    fs::{self, File},
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use base64::Engine as _;
use serde_json::Value;
use uuid::Uuid;

/// How long the server may take to print its port once Python runs.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A real SMTP server (aiosmtpd) on a loopback port, for the notification tests; killed on drop.
pub struct SmtpServer {
    pub port: u16,
    /// A temporary directory: `mail/` holds one JSON file per received message, `server.log`
    /// the server's standard error. Removed on drop.
    dir: PathBuf,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl SmtpServer {
    /// A server that accepts and keeps every message.
    ///
    /// Blocks (the first time in a checkout, for as long as pip takes to make the virtualenv):
    /// start it before the application, or accept that the runtime pauses meanwhile.
    pub fn start() -> Self {
        Self::spawn(None)
    }

    /// A server that answers every DATA with `451 4.3.0 try again later` and keeps nothing: a
    /// relay that is down for the moment, for retry and dead-letter tests.
    pub fn start_failing() -> Self {
        Self::spawn(Some("fail"))
    }

    /// A server that takes half a second over each message before it keeps it and answers: a
    /// busy relay, so that a test can stop the database while the worker is sending.
    pub fn start_slow() -> Self {
        Self::spawn(Some("slow"))
    }

    /// The URL to configure as `GOVSKILLS_SMTP_URL`: `smtp://127.0.0.1:{port}` (no TLS, no
    /// credentials).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let Ok(entries) = fs::read_dir(self.dir.join("mail")) else {
            return Vec::new();
        };
        // Finished messages only: `0001.json`, ...; the server writes `.0001.json.tmp` first.
        let mut files: Vec<(u64, PathBuf)> = entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let number = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((number, path))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|err| panic!("{} is readable: {err}", path.display()));
                ReceivedMail::from_json(&text)
                    .unwrap_or_else(|| panic!("{} is a received message: {text}", path.display()))
            })
            .collect()
    }

    /// Polls until at least `count` messages have arrived and returns all of them (possibly more
    /// than `count`; assert on the length to prove "exactly"). Panics after `timeout`, naming
    /// what did arrive.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                let subjects: Vec<String> = messages.iter().map(ReceivedMail::subject).collect();
                panic!(
                    "expected {count} message(s) at the test SMTP server within {timeout:?}, got {}: \
                     {subjects:?}\nserver log:\n{}",
                    messages.len(),
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the server wrote to standard error.
    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn spawn(mode: Option<&str>) -> Self {
        let python = crate::helpers::python_venv("smtp");
        let dir = std::env::temp_dir().join(format!("govskills-smtp-{}", Uuid::new_v4()));
        let mail = dir.join("mail");
        fs::create_dir_all(&mail).expect("a temporary directory");
        let log = File::create(dir.join("server.log")).expect("a log file");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/server.py");
        let mut command = Command::new(python);
        command.arg("-u").arg(script).arg("0").arg(&mail);
        if let Some(mode) = mode {
            command.arg(mode);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the SMTP server starts");
        let stdout = child.stdout.take().expect("its standard output");
        // Read the "PORT <n>" line on a thread, so that a server that hangs cannot hang the test.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let server = |port| Self {
            port,
            dir: dir.clone(),
            child,
        };
        match line.trim().strip_prefix("PORT ").map(str::parse::<u16>) {
            Some(Ok(port)) => server(port),
            _ => {
                // Dropping it kills the process; read the log first.
                let failed = server(0);
                let log = failed.log();
                drop(failed);
                panic!("the test SMTP server did not report its port (got {line:?}):\n{log}");
            }
        }
    }
}

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as transmitted: headers and body, CRLF line endings.
    pub raw: String,
}

impl ReceivedMail {
    fn from_json(text: &str) -> Option<Self> {
        let json: Value = serde_json::from_str(text).ok()?;
        Some(Self {
            from: json["mail_from"].as_str()?.to_owned(),
            to: json["rcpt_tos"]
                .as_array()?
                .iter()
                .map(|to| to.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
            raw: json["data"].as_str()?.to_owned(),
        })
    }

    /// The first header field called `name` (case-insensitive), unfolded and trimmed, as
    /// transmitted (encoded words are left alone; see [`Self::subject`]).
    pub fn header(&self, name: &str) -> Option<String> {
        header(split_entity(&self.raw).0, name)
    }

    /// The `Subject`, with RFC 2047 encoded words decoded; empty if there is none.
    pub fn subject(&self) -> String {
        self.header("Subject")
            .map(|subject| decode_encoded_words(&subject))
            .unwrap_or_default()
    }

    /// The first `text/plain` part (the whole body for a single-part message without a
    /// `Content-Type`), decoded from quoted-printable or base64, with `\n` line endings. Panics
    /// if there is none.
    pub fn text_body(&self) -> String {
        find_part(&self.raw, "text/plain")
            .unwrap_or_else(|| panic!("a text/plain part in:\n{}", self.raw))
    }

    /// The first `text/html` part, decoded like [`Self::text_body`]. Panics if there is none.
    pub fn html_body(&self) -> String {
        find_part(&self.raw, "text/html")
            .unwrap_or_else(|| panic!("a text/html part in:\n{}", self.raw))
    }
}

/// An entity's header block and body, split at the first empty line.
fn split_entity(entity: &str) -> (&str, &str) {
    // The empty line ends the first CRLF CRLF or LF LF; at the very start, there are no headers.
    for newline in ["\r\n", "\n"] {
        if let Some(body) = entity.strip_prefix(newline) {
            return ("", body);
        }
    }
    let end = [
        entity.find("\r\n\r\n").map(|at| (at, 4)),
        entity.find("\n\n").map(|at| (at, 2)),
    ]
    .into_iter()
    .flatten()
    .min();
    match end {
        Some((at, length)) => (&entity[..at], &entity[at + length..]),
        None => (entity, ""),
    }
}

/// The first field called `name` in a header block, unfolded (RFC 5322 section 2.2.3) and trimmed.
fn header(headers: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in headers.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(value) = &mut found {
                value.push_str(line);
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((field, value)) = line.split_once(':')
            && field.trim().eq_ignore_ascii_case(name)
        {
            found = Some(value.to_owned());
        }
    }
    found.map(|value| value.trim().to_owned())
}

/// A `Content-Type`'s media type (lower case) and its parameters (names lower case, values
/// unquoted).
fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    let mut pieces = pieces.into_iter();
    let media = pieces
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let params = pieces
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|value| value.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.trim().to_ascii_lowercase(), value.to_owned()))
        })
        .collect();
    (media, params)
}

/// The first part of type `wanted` in `entity` (depth first), decoded.
fn find_part(entity: &str, wanted: &str) -> Option<String> {
    let (headers, body) = split_entity(entity);
    let (media, params) = header(headers, "Content-Type")
        .map(|value| content_type(&value))
        .unwrap_or_else(|| ("text/plain".to_owned(), Vec::new()));
    if media.starts_with("multipart/") {
        let boundary = params
            .iter()
            .find(|(name, _)| name == "boundary")
            .map(|(_, value)| value.as_str())?;
        return multipart(body, boundary)
            .into_iter()
            .find_map(|part| find_part(&part, wanted));
    }
    if media != wanted {
        return None;
    }
    let encoding = header(headers, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|err| panic!("a base64 body: {err}\n{body}"))
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    let charset = params
        .iter()
        .find(|(name, _)| name == "charset")
        .map_or("utf-8", |(_, value)| value.as_str());
    Some(decode_charset(charset, &bytes).replace("\r\n", "\n"))
}

/// The body parts of a multipart body (RFC 2046 section 5.1.1), without preamble and epilogue.
fn multipart(body: &str, boundary: &str) -> Vec<String> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix(&delimiter) {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\r\n"));
            }
            if rest.trim_end().starts_with("--") {
                break;
            }
            current = Some(Vec::new());
        } else if let Some(lines) = &mut current {
            lines.push(line);
        }
    }
    parts
}

/// Decodes a quoted-printable body (RFC 2045 section 6.7): `=XX` escapes and soft line breaks.
fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let lines: Vec<&str> = body.split('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Transport may add trailing white space; encoders escape the significant kind.
        let line = line.trim_end_matches([' ', '\t']);
        let (line, soft) = match line.strip_suffix('=') {
            Some(line) => (line, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && let Some(byte) = bytes
                    .get(i + 1..i + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        if !soft && index + 1 < lines.len() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Text in a charset: UTF-8 (and US-ASCII) or ISO-8859-1; anything else is read as UTF-8.
fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    match charset.to_ascii_lowercase().as_str() {
        "iso-8859-1" | "latin1" | "latin-1" => bytes.iter().map(|&byte| char::from(byte)).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// One RFC 2047 encoded word at the start of `text`: its charset, decoded bytes, and its length.
fn encoded_word(text: &str) -> Option<(String, Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    if charset.is_empty() || payload.contains(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload))
            .ok()?,
        "Q" | "q" => {
            let mut out = Vec::new();
            let bytes = payload.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                        out.push(u8::from_str_radix(hex, 16).ok()?);
                        i += 2;
                    }
                    byte => out.push(byte),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    // RFC 2231 allows a language after the charset: `utf-8*en`.
    let charset = charset.split('*').next().unwrap_or(charset).to_owned();
    let length = 2 + inner.len() - rest.len() + end + 2;
    Some((charset, bytes, length))
}

/// Decodes the RFC 2047 encoded words in a header value; white space between two adjacent
/// encoded words is dropped, and their bytes are joined before decoding (a character may be
/// split across them).
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    // Bytes of the encoded words just read, and their charset.
    let mut pending: Option<(String, Vec<u8>)> = None;
    // Plain text since the last encoded word.
    let mut plain = String::new();
    let mut rest = value;
    while !rest.is_empty() {
        if let Some((charset, bytes, length)) = encoded_word(rest) {
            let adjacent = plain.chars().all(|c| c.is_ascii_whitespace());
            match &mut pending {
                Some((previous, joined)) if adjacent && previous.eq_ignore_ascii_case(&charset) => {
                    joined.extend(bytes);
                }
                _ => {
                    if let Some((previous, joined)) = pending.take() {
                        out.push_str(&decode_charset(&previous, &joined));
                        if adjacent {
                            plain.clear();
                        }
                    }
                    out.push_str(&plain);
                    pending = Some((charset, bytes));
                }
            }
            plain.clear();
            rest = &rest[length..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            plain.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if let Some((charset, joined)) = pending {
        out.push_str(&decode_charset(&charset, &joined));
    }
    out.push_str(&plain);
    out
}
