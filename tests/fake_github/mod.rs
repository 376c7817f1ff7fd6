//! A small HTTP/1.1 server on 127.0.0.1 that behaves like the part of GitHub's REST API the sticky
//! comment and the PR lookup use: paginated issue comments with `Link` headers and authors
//! (`user.login`, `user.type`), create (POST, authored by the token's identity) and update
//! (PATCH), pull requests, rate-limit headers on every answer, GitHub-shaped bodies (`json.rs`),
//! an optional GitHub Enterprise path prefix (`/api/v3`), plus scripted failures. It asserts
//! GitHub's 65,536-character body limit on every write.
#![allow(dead_code)]

mod json;

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

/// A pull request: its head commit, on a fork owned by `author`.
#[derive(Clone, Debug)]
pub struct Pull {
    pub number: u64,
    pub head_sha: String,
    /// `open` or `closed`, as GitHub's `state`.
    pub state: String,
    pub merged: bool,
    pub author: String,
}

/// An answer given before normal handling, to the next request (of `method`, when set).
#[derive(Clone, Debug)]
pub struct Scripted {
    pub method: Option<String>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// GitHub's `message` in the body.
    pub message: String,
}

#[derive(Default)]
pub struct State {
    pub comments: Vec<Comment>,
    pub pulls: Vec<Pull>,
    pub page_size: usize,
    /// Answered before normal handling, one per request.
    pub scripted: VecDeque<Scripted>,
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
    /// Where the REST API is served: "" (github.com) or "/api/v3" (GitHub Enterprise).
    prefix: String,
}

pub struct FakeGitHub {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    /// github.com's layout: the API at the server's root.
    pub fn start(page_size: usize) -> Self {
        Self::start_at(page_size, "")
    }

    /// GitHub Enterprise Server's layout: the REST API under `/api/v3`; `url` includes it.
    pub fn start_enterprise(page_size: usize) -> Self {
        Self::start_at(page_size, "/api/v3")
    }

    fn start_at(page_size: usize, prefix: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let root = format!("http://{}", listener.local_addr().unwrap());
        let url = format!("{root}{prefix}");
        let state = Arc::new(Mutex::new(State {
            page_size,
            next_id: 1000,
            base_url: root,
            prefix: prefix.into(),
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

    /// A pull request whose head is `head_sha`; `state` is `open` or `closed`.
    pub fn add_pull(&self, number: u64, head_sha: &str, state: &str, merged: bool) {
        self.state.lock().unwrap().pulls.push(Pull {
            number,
            head_sha: head_sha.into(),
            state: state.into(),
            merged,
            author: "alice".into(),
        });
    }

    pub fn script(&self, status: u16, headers: &[(&str, &str)]) {
        self.script_message(status, headers, "scripted");
    }

    /// A scripted answer carrying GitHub's `message` (e.g. a secondary rate limit's words).
    pub fn script_message(&self, status: u16, headers: &[(&str, &str)], message: &str) {
        self.push_script(None, status, headers, message);
    }

    /// A scripted answer to the next `method` request only (`POST`: the create).
    pub fn script_for(&self, method: &str, status: u16, headers: &[(&str, &str)], message: &str) {
        self.push_script(Some(method), status, headers, message);
    }

    fn push_script(&self, method: Option<&str>, status: u16, headers: &[(&str, &str)], message: &str) {
        self.state.lock().unwrap().scripted.push_back(Scripted {
            method: method.map(String::from),
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            message: message.into(),
        });
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
        "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.len()
    );
    for (k, v) in with_rate_limit_headers(headers) {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply);
    let _ = stream.write_all(out.as_bytes());
}

/// GitHub sends its rate-limit state on every answer; a scripted header replaces the default.
fn with_rate_limit_headers(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let defaults = [
        ("x-ratelimit-limit", "5000".to_string()),
        ("x-ratelimit-remaining", "4999".to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-used", "1".to_string()),
        ("x-ratelimit-resource", "core".to_string()),
    ];
    for (name, value) in defaults {
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
            headers.push((name.to_string(), value));
        }
    }
    headers
}

type Answer = (u16, Vec<(String, String)>, String);

fn route(state: &Mutex<State>, method: &str, target: &str, auth: Option<String>, body: &[u8]) -> Answer {
    let mut s = state.lock().unwrap();
    s.requests.push((method.to_string(), target.to_string(), auth));
    let scripted = s
        .scripted
        .iter()
        .position(|x| x.method.as_deref().is_none_or(|m| m == method));
    if let Some(x) = scripted.and_then(|i| s.scripted.remove(i)) {
        return (x.status, x.headers, json::error(&x.message));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some(rest) = path.strip_prefix(s.prefix.as_str()) else {
        return not_found();
    };
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let write_body = || -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        v["body"].as_str().map(String::from)
    };
    match (method, segs.as_slice()) {
        ("GET", ["repos", owner, name, "issues", pr, "comments"]) => {
            let repo = format!("{owner}/{name}");
            list_comments(&s, &repo, pr.parse().unwrap_or(0), path, query)
        }
        ("POST", ["repos", owner, name, "issues", pr, "comments"]) => match write_body() {
            Some(text) => create_comment(&mut s, &format!("{owner}/{name}"), pr.parse().unwrap_or(0), text),
            None => (400, vec![], json::error("Problems parsing JSON")),
        },
        ("PATCH", ["repos", owner, name, "issues", "comments", id]) => match write_body() {
            Some(text) => update_comment(&mut s, &format!("{owner}/{name}"), id.parse().unwrap_or(0), text),
            None => (400, vec![], json::error("Problems parsing JSON")),
        },
        ("GET", ["repos", owner, name, "pulls", number]) => {
            let number: u64 = number.parse().unwrap_or(0);
            match s.pulls.iter().find(|p| p.number == number) {
                Some(p) => (
                    200,
                    vec![],
                    json::pull(&s.api(), &format!("{owner}/{name}"), p).to_string(),
                ),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn not_found() -> Answer {
    (404, vec![], json::error("Not Found"))
}

impl State {
    /// The API's URL, as it appears in GitHub's bodies and links.
    fn api(&self) -> String {
        format!("{}{}", self.base_url, self.prefix)
    }
}

/// One page of comments, with GitHub's `Link` header to the next and last pages.
fn list_comments(s: &State, repo: &str, pr: u64, path: &str, query: &str) -> Answer {
    let page: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let size = s.page_size;
    let pages = s.comments.len().div_ceil(size).max(1);
    let api = s.api();
    let items: Vec<serde_json::Value> = s
        .comments
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|c| json::comment(&api, repo, pr, c))
        .collect();
    let link_base = format!("{}{path}", s.base_url);
    let mut links = Vec::new();
    if page < pages {
        links.push(format!("<{link_base}?per_page={size}&page={}>; rel=\"next\"", page + 1));
        links.push(format!("<{link_base}?per_page={size}&page={pages}>; rel=\"last\""));
    }
    let headers = if links.is_empty() {
        vec![]
    } else {
        vec![("Link".to_string(), links.join(", "))]
    };
    (200, headers, serde_json::Value::Array(items).to_string())
}

fn create_comment(s: &mut State, repo: &str, pr: u64, text: String) -> Answer {
    if text.chars().count() > LIMIT {
        s.oversized += 1;
        return (
            422,
            vec![],
            json::error("Body is too long (maximum is 65536 characters)"),
        );
    }
    s.next_id += 1;
    let id = s.next_id;
    let (login, kind) = s.identity.clone();
    let comment = Comment {
        id,
        body: text,
        login,
        kind,
    };
    let answer = json::comment(&s.api(), repo, pr, &comment).to_string();
    s.comments.push(comment);
    if std::mem::take(&mut s.lose_next_create) {
        return (502, vec![], json::error("Bad Gateway"));
    }
    (201, vec![], answer)
}

fn update_comment(s: &mut State, repo: &str, id: u64, text: String) -> Answer {
    if text.chars().count() > LIMIT {
        s.oversized += 1;
        return (
            422,
            vec![],
            json::error("Body is too long (maximum is 65536 characters)"),
        );
    }
    let api = s.api();
    match s.comments.iter_mut().find(|c| c.id == id) {
        Some(c) => {
            c.body = text;
            // The PR number is not in this route; GitHub's answer names it, the client ignores it.
            (200, vec![], json::comment(&api, repo, 7, c).to_string())
        }
        None => not_found(),
    }
}
