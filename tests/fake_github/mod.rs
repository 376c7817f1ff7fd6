//! A small HTTP/1.1 server on 127.0.0.1 that behaves like the part of GitHub's REST API the sticky
//! comment uses: paginated issue comments with `Link` headers and authors (`user.login`,
//! `user.type`), create (POST, authored by the token's identity) and update (PATCH), plus scripted
//! failures. It asserts GitHub's 65,536-character body limit on every write.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub const LIMIT: usize = 65_536;

#[derive(Clone, Debug)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub login: String,
    /// `User` or `Bot`, as GitHub's `user.type`.
    pub kind: String,
}

/// Who the default `GITHUB_TOKEN` writes as.
pub const ACTIONS_BOT: (&str, &str) = ("github-actions[bot]", "Bot");

#[derive(Default)]
pub struct State {
    pub comments: Vec<Comment>,
    pub page_size: usize,
    /// Answered (status, extra headers) before normal handling, one per request.
    pub scripted: VecDeque<(u16, Vec<(String, String)>)>,
    /// Every request: (method, path, authorization header).
    pub requests: Vec<(String, String, Option<String>)>,
    /// Write requests whose body was over the limit (must stay 0).
    pub oversized: usize,
    /// The next POST creates the comment but answers 502 (a lost response).
    pub lose_next_create: bool,
    /// (login, type) the token writes as: the author of every comment created by POST.
    pub identity: (String, String),
    next_id: u64,
    base_url: String,
}

pub struct FakeGitHub {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    pub fn start(page_size: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            page_size,
            next_id: 1000,
            base_url: url.clone(),
            identity: (ACTIONS_BOT.0.into(), ACTIONS_BOT.1.into()),
            ..Default::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || handle(stream, &state));
            }
        });
        FakeGitHub { url, state }
    }

    /// A comment written earlier by the token's identity (the bot, unless changed).
    pub fn add_comment(&self, body: &str) -> u64 {
        let (login, kind) = self.state.lock().unwrap().identity.clone();
        self.add_comment_by(&login, &kind, body)
    }

    /// A comment by someone else, e.g. a human (`"User"`) quoting the marker.
    pub fn add_comment_by(&self, login: &str, kind: &str, body: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.comments.push(Comment {
            id,
            body: body.into(),
            login: login.into(),
            kind: kind.into(),
        });
        id
    }

    /// Makes the token write as `login` of `kind` (a personal access token's user, another app).
    pub fn set_identity(&self, login: &str, kind: &str) {
        self.state.lock().unwrap().identity = (login.into(), kind.into());
    }

    pub fn comments(&self) -> Vec<Comment> {
        self.state.lock().unwrap().comments.clone()
    }

    pub fn with_marker(&self, key: &str) -> Vec<Comment> {
        let marker = format!("<!-- stress-action:{key} -->");
        self.comments()
            .into_iter()
            .filter(|c| c.body.contains(&marker))
            .collect()
    }

    pub fn script(&self, status: u16, headers: &[(&str, &str)]) {
        let h = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.state.lock().unwrap().scripted.push_back((status, h));
    }

    pub fn requests(&self) -> Vec<(String, String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut content_length = 0usize;
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.trim().parse().unwrap_or(0),
                "authorization" => auth = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; content_length];
    let _ = reader.read_exact(&mut body);
    let (status, headers, reply) = route(state, &method, &target, auth, &body);
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply);
    let _ = stream.write_all(out.as_bytes());
}

fn route(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    auth: Option<String>,
    body: &[u8],
) -> (u16, Vec<(String, String)>, String) {
    let mut s = state.lock().unwrap();
    s.requests.push((method.to_string(), target.to_string(), auth));
    if let Some((status, headers)) = s.scripted.pop_front() {
        return (status, headers, r#"{"message":"scripted"}"#.into());
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let write_body = || -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        v["body"].as_str().map(String::from)
    };
    match (method, segs.as_slice()) {
        ("GET", ["repos", _, _, "issues", _, "comments"]) => {
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let size = s.page_size;
            let pages = s.comments.len().div_ceil(size).max(1);
            let items: Vec<serde_json::Value> = s
                .comments
                .iter()
                .skip((page - 1) * size)
                .take(size)
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "body": c.body,
                        "user": {"login": c.login, "type": c.kind},
                        "html_url": format!("https://github.example/o/r/pull/7#issuecomment-{}", c.id),
                    })
                })
                .collect();
            let link_base = format!("{}{path}", s.base_url);
            let mut links = Vec::new();
            if page < pages {
                links.push(format!(
                    "<{}?per_page={size}&page={}>; rel=\"next\"",
                    link_base,
                    page + 1
                ));
                links.push(format!("<{}?per_page={size}&page={pages}>; rel=\"last\"", link_base));
            }
            let headers = if links.is_empty() {
                vec![]
            } else {
                vec![("Link".to_string(), links.join(", "))]
            };
            (200, headers, serde_json::Value::Array(items).to_string())
        }
        ("POST", ["repos", _, _, "issues", _, "comments"]) => {
            let Some(text) = write_body() else {
                return (400, vec![], "{}".into());
            };
            if text.chars().count() > LIMIT {
                s.oversized += 1;
                return (422, vec![], r#"{"message":"Body is too long"}"#.into());
            }
            s.next_id += 1;
            let id = s.next_id;
            let (login, kind) = s.identity.clone();
            s.comments.push(Comment {
                id,
                body: text,
                login,
                kind,
            });
            if std::mem::take(&mut s.lose_next_create) {
                return (502, vec![], r#"{"message":"Bad Gateway"}"#.into());
            }
            (201, vec![], serde_json::json!({"id": id}).to_string())
        }
        ("PATCH", ["repos", _, _, "issues", "comments", id]) => {
            let Some(text) = write_body() else {
                return (400, vec![], "{}".into());
            };
            if text.chars().count() > LIMIT {
                s.oversized += 1;
                return (422, vec![], r#"{"message":"Body is too long"}"#.into());
            }
            let id: u64 = id.parse().unwrap_or(0);
            match s.comments.iter_mut().find(|c| c.id == id) {
                Some(c) => {
                    c.body = text;
                    (200, vec![], serde_json::json!({"id": id}).to_string())
                }
                None => (404, vec![], r#"{"message":"Not Found"}"#.into()),
            }
        }
        _ => (404, vec![], r#"{"message":"Not Found"}"#.into()),
    }
}
