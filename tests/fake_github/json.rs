//! Bodies shaped like GitHub's REST answers (users, issue comments, pull requests), with every
//! field GitHub documents as always present, so a client that models the answers strictly (as
//! octocrab does) reads them as it reads GitHub's.

use serde_json::{json, Value};

use super::{Comment, Pull};

const WEB: &str = "https://github.example";
const CREATED: &str = "2024-05-01T12:00:00Z";

/// A login inside a URL path, escaped as GitHub does (`github-actions%5Bbot%5D`).
fn path_login(login: &str) -> String {
    login.replace('[', "%5B").replace(']', "%5D")
}

/// A stable numeric id for a login.
fn user_id(login: &str) -> u64 {
    login
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
        % 100_000_000
}

pub fn user(api: &str, login: &str, kind: &str) -> Value {
    let id = user_id(login);
    let u = format!("{api}/users/{}", path_login(login));
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_kgDO{id}"),
        "avatar_url": format!("https://avatars.example/u/{id}?v=4"),
        "gravatar_id": "",
        "url": u,
        "html_url": format!("{WEB}/{}", path_login(login)),
        "followers_url": format!("{u}/followers"),
        "following_url": format!("{u}/following{{/other_user}}"),
        "gists_url": format!("{u}/gists{{/gist_id}}"),
        "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{u}/subscriptions"),
        "organizations_url": format!("{u}/orgs"),
        "repos_url": format!("{u}/repos"),
        "events_url": format!("{u}/events{{/privacy}}"),
        "received_events_url": format!("{u}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false
    })
}

/// An issue comment on PR `pr` of `repo` (`owner/name`).
pub fn comment(api: &str, repo: &str, pr: u64, c: &Comment) -> Value {
    let association = if c.kind == "Bot" { "NONE" } else { "CONTRIBUTOR" };
    json!({
        "url": format!("{api}/repos/{repo}/issues/comments/{}", c.id),
        "html_url": format!("{WEB}/{repo}/pull/{pr}#issuecomment-{}", c.id),
        "issue_url": format!("{api}/repos/{repo}/issues/{pr}"),
        "id": c.id,
        "node_id": format!("IC_kwDO{}", c.id),
        "user": user(api, &c.login, &c.kind),
        "created_at": CREATED,
        "updated_at": CREATED,
        "author_association": association,
        "body": c.body,
        "performed_via_github_app": null
    })
}

fn repository(api: &str, owner: &str, name: &str, fork: bool) -> Value {
    let full = format!("{owner}/{name}");
    json!({
        "id": user_id(&full),
        "node_id": format!("R_kgDO{}", user_id(&full)),
        "name": name,
        "full_name": full,
        "owner": user(api, owner, "User"),
        "private": false,
        "html_url": format!("{WEB}/{full}"),
        "description": null,
        "fork": fork,
        "url": format!("{api}/repos/{full}"),
        "default_branch": "main"
    })
}

/// Pull request `p` of `repo`, its head on a fork owned by `p.author`.
pub fn pull(api: &str, repo: &str, p: &Pull) -> Value {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let closed = p.state != "open";
    let closed_at = closed.then_some("2024-05-02T12:00:00Z");
    let merged_at = p.merged.then_some("2024-05-02T12:00:00Z");
    json!({
        "url": format!("{api}/repos/{repo}/pulls/{}", p.number),
        "id": 1_000_000 + p.number,
        "node_id": format!("PR_kwDO{}", p.number),
        "html_url": format!("{WEB}/{repo}/pull/{}", p.number),
        "number": p.number,
        "state": p.state,
        "locked": false,
        "title": "A change",
        "user": user(api, &p.author, "User"),
        "body": null,
        "created_at": CREATED,
        "updated_at": CREATED,
        "closed_at": closed_at,
        "merged_at": merged_at,
        "merge_commit_sha": null,
        "draft": false,
        "head": {
            "label": format!("{}:feature", p.author),
            "ref": "feature",
            "sha": p.head_sha,
            "user": user(api, &p.author, "User"),
            "repo": repository(api, &p.author, name, true)
        },
        "base": {
            "label": format!("{owner}:main"),
            "ref": "main",
            "sha": "0000000000000000000000000000000000000001",
            "user": user(api, owner, "User"),
            "repo": repository(api, owner, name, false)
        },
        "author_association": "CONTRIBUTOR",
        "merged": p.merged,
        "mergeable": null,
        "comments": 0,
        "commits": 1,
        "additions": 1,
        "deletions": 0,
        "changed_files": 1
    })
}

/// GitHub's error body: `{"message": ..., "documentation_url": ...}`.
pub fn error(message: &str) -> String {
    json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest"
    })
    .to_string()
}
