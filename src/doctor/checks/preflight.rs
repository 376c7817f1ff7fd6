//! Reaching the platform: where the protocol lives under the endpoint, whether the token is checked,
//! and health. A platform that cannot be reached or rejects the token stops the run here, since
//! every later call would fail the same way.

use reqwest::Method;

use super::super::session::Session;
use super::super::wire::http::{success, Auth, HttpWire};
use super::super::wire::{shape, Failure, Wire};
use super::Expected;

/// Where a server may have put the protocol's paths, in the order they are tried.
const PREFIXES: [&str; 3] = ["/v1", "/v1/v1", ""];

/// Endpoint, auth and health over HTTP; `false` when nothing more can be learnt.
pub async fn http(s: &Session, endpoint_note: Option<&str>) -> bool {
    let Some(http) = s.http.clone() else {
        return false;
    };
    if !endpoint(s, &http, endpoint_note).await {
        return false;
    }
    auth(s, &http).await;
    health(s).await
}

/// What `GET {prefix}/health` got, for the endpoint line.
struct Probe {
    prefix: &'static str,
    answer: Result<u16, Failure>,
}

impl Probe {
    /// Something answers here other than "no such route"; health judges what it said.
    fn found(&self) -> bool {
        matches!(self.answer, Ok(status) if status != 404 && status != 405)
    }

    fn text(&self, base: &str) -> String {
        match &self.answer {
            Ok(status) => format!("GET {base}{}/health answered {status}", self.prefix),
            Err(e) => format!("GET {base}{}/health got {e}", self.prefix),
        }
    }
}

async fn probe(http: &HttpWire, prefix: &'static str) -> Probe {
    let req = http.request("health", Method::GET, "/health".into());
    let answer = http.send_under(prefix, req).await.map(|a| a.status);
    Probe { prefix, answer }
}

async fn endpoint(s: &Session, http: &HttpWire, note: Option<&str>) -> bool {
    let base = http.base().to_string();
    let mut probes = Vec::new();
    for prefix in PREFIXES {
        let p = probe(http, prefix).await;
        let stop = p.found() || p.answer.is_err();
        probes.push(p);
        if stop {
            break;
        }
    }
    let first = &probes[0];
    let expected = format!("the protocol at {base}/v1/... (GET /v1/health answers 200)");
    let tried: Vec<String> = probes.iter().map(|p| p.text(&base)).collect();
    match probes.iter().find(|p| p.found()) {
        Some(p) if p.prefix == "/v1" => {
            let given = note.map(|n| format!("; {n}")).unwrap_or_default();
            s.pass("endpoint", format!("{}{given}", p.text(&base)));
            true
        }
        Some(p) => {
            let why = if p.prefix.is_empty() {
                "the server serves the protocol without its /v1 prefix"
            } else {
                "the server adds /v1 twice (the routes are mounted under /v1 and also start with /v1)"
            };
            s.fail(
                "endpoint",
                expected,
                format!(
                    "{}; {why}: the other checks go on under {base}{}",
                    tried.join(", "),
                    p.prefix
                ),
            );
            http.set_prefix(p.prefix);
            true
        }
        None => {
            s.fail("endpoint", expected, tried.join(", "));
            // A server that answers, even 404 everywhere, can still be asked the rest.
            first.answer.is_ok()
        }
    }
}

async fn auth(s: &Session, http: &HttpWire) {
    if !http.has_token() {
        s.skip(
            "auth",
            format!(
                "no token in ${} (--token-env names the variable): auth not checked",
                s.token_env
            ),
        );
        return;
    }
    let unauthorized = Expected::new(401, "unauthorized");
    let without = auth_probe(http, Auth::Without).await;
    let open = matches!(without, Ok(()));
    if open {
        s.warn(
            "auth.no_token",
            unauthorized.text(s.kind),
            "success: the server does not ask for a token, so the one configured is not checked",
        );
    } else {
        unauthorized.judge(s, "auth.no_token", &without, |_| String::new());
    }
    let wrong = auth_probe(http, Auth::Wrong).await;
    match (&wrong, open) {
        (Ok(()), true) => s.skip("auth.wrong_token", "the server takes requests without any token"),
        (Ok(()), false) => s.fail(
            "auth.wrong_token",
            unauthorized.text(s.kind),
            "success: the server checks that a token is there, not that it is right",
        ),
        _ => unauthorized.judge(s, "auth.wrong_token", &wrong, |_| String::new()),
    }
}

async fn auth_probe(http: &HttpWire, auth: Auth) -> Result<(), Failure> {
    let mut req = http.request("health", Method::GET, "/health".into());
    req.auth = auth;
    success("health", &http.send(req).await?)
}

/// Health with the configured credentials; `false` when the platform cannot be used at all.
async fn health(s: &Session) -> bool {
    let expected = "200 {\"status\": \"ok\", \"protocol\": \"v1\"}";
    match s.wire.health().await {
        Ok(answer) => {
            s.judge(
                "health",
                expected,
                shape::health(&answer).map(|()| format!("answered {answer}")),
            );
            true
        }
        Err(e) if matches!(e.status(), Some(401 | 403)) => {
            let advice = if s.http.as_ref().is_some_and(|h| h.has_token()) {
                format!("the server rejected the token in ${}", s.token_env)
            } else {
                format!(
                    "the server wants a token: put it in ${} (or name another variable with --token-env)",
                    s.token_env
                )
            };
            s.fail("health", expected, format!("{e}: {advice}"));
            false
        }
        Err(e) => {
            let answered = !matches!(e, Failure::NoAnswer(_));
            s.fail("health", expected, e.to_string());
            answered
        }
    }
}

/// Health over a command plugin: it started, reads requests and answers them paired by `id`.
pub async fn plugin(s: &Session) -> bool {
    match s.wire.health().await {
        Ok(answer) if answer.is_object() => {
            s.pass("health", format!("answered {answer}"));
            true
        }
        Ok(answer) => {
            s.fail(
                "health",
                "a `result` object, e.g. {\"status\": \"ok\"}",
                format!("result {answer}"),
            );
            true
        }
        Err(e @ Failure::Answer { .. }) => {
            s.fail("health", "ok=true with a `result` object", e.to_string());
            true
        }
        Err(e) => {
            s.fail(
                "health",
                "a response line with the request's `id` and `ok`",
                e.to_string(),
            );
            false
        }
    }
}
