//! Which PR comment is the sticky one: it carries this key's hidden marker **and** was written by
//! the identity that posts it (a Bot such as `github-actions[bot]`, or the `--comment-author` login
//! of a personal token). Anyone can quote the marker in a reply; editing that reply would overwrite
//! a human's words with a report, so a marker alone never makes a comment ours.
//!
//! Kept apart from the HTTP client so the rule survives a change of client (octocrab) unchanged.

use serde::Deserialize;

use super::comment::marker;

/// An issue comment as GitHub's REST API returns it, reduced to what the rule reads.
#[derive(Clone, Debug, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<CommentUser>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CommentUser {
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// The marker to look for and the identities allowed to own the comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StickyComment {
    marker: String,
    author: Option<String>,
}

/// What a search over the PR's comments found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The first comment that is ours.
    pub id: Option<u64>,
    /// Comments that quote the marker but were written by someone else: left untouched.
    pub foreign: Vec<(u64, String)>,
}

impl StickyComment {
    pub fn new(key: &str, author: Option<&str>) -> Self {
        StickyComment {
            marker: marker(key),
            author: author.map(str::to_string),
        }
    }

    /// Whether the comment carries the marker and was written by a Bot or the configured author
    /// (GitHub logins compare without regard to case).
    pub fn is_ours(&self, c: &IssueComment) -> bool {
        self.has_marker(c) && c.user.as_ref().is_some_and(|u| self.owns(u))
    }

    fn has_marker(&self, c: &IssueComment) -> bool {
        c.body.as_deref().is_some_and(|b| b.contains(&self.marker))
    }

    fn owns(&self, user: &CommentUser) -> bool {
        user.kind == "Bot"
            || self
                .author
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&user.login))
    }

    /// Adds one page of comments to what was found; returns true once ours is found.
    pub fn search_page(&self, page: &[IssueComment], found: &mut Found) -> bool {
        for c in page.iter().filter(|c| self.has_marker(c)) {
            if self.is_ours(c) {
                found.id = Some(c.id);
                return true;
            }
            let login = c.user.as_ref().map(|u| u.login.clone()).unwrap_or_default();
            found.foreign.push((c.id, login));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, body: &str, login: &str, kind: &str) -> IssueComment {
        serde_json::from_value(serde_json::json!({
            "id": id, "body": body, "user": {"login": login, "type": kind}
        }))
        .unwrap()
    }

    #[test]
    fn only_a_bot_or_the_named_author_owns_the_marker() {
        let body = "> <!-- stress-action:k -->\n> quoted";
        let bot = comment(1, body, "github-actions[bot]", "Bot");
        let human = comment(2, body, "alice", "User");
        let runner = comment(3, body, "CI-Runner", "User");
        let other_key = comment(4, "<!-- stress-action:other -->", "github-actions[bot]", "Bot");
        let sticky = StickyComment::new("k", None);
        assert!(sticky.is_ours(&bot));
        assert!(!sticky.is_ours(&human) && !sticky.is_ours(&runner) && !sticky.is_ours(&other_key));
        let with_author = StickyComment::new("k", Some("ci-runner"));
        assert!(with_author.is_ours(&runner) && with_author.is_ours(&bot) && !with_author.is_ours(&human));
        let no_user: IssueComment = serde_json::from_value(serde_json::json!({"id": 5, "body": body})).unwrap();
        assert!(!with_author.is_ours(&no_user));

        let mut found = Found::default();
        assert!(!sticky.search_page(&[human.clone(), runner.clone()], &mut found));
        assert!(sticky.search_page(&[bot], &mut found));
        assert_eq!(found.id, Some(1));
        assert_eq!(found.foreign, vec![(2, "alice".into()), (3, "CI-Runner".into())]);
    }
}
