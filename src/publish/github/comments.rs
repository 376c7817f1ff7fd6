//! The sticky PR comment: find ours across every page of the PR's comments (octocrab's `Page`,
//! followed by its `next` link, stopping at the page that holds ours), then update it in place or
//! create it. A create that may have been carried out although it failed (a 5xx, a lost answer) is
//! never repeated blindly: the comments are searched again first, so a flaky GitHub never leaves
//! two comments with the same marker.

use octocrab::models::issues::Comment;

use super::failure::Failure;
use super::{split_repo, GitHubClient};
use crate::publish::comment::MAX_COMMENT_CHARS;
use crate::publish::error::PublishError;
use crate::publish::sticky::{CommentUser, Found, IssueComment, StickyComment};

/// Pages of 100 comments followed at most; a PR with more than 10,000 comments is not expected.
const MAX_PAGES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentOutcome {
    Created(u64),
    Updated(u64),
    /// GitHub refused (403 read-only token on a fork PR, 404): a warning, not a failure.
    Skipped(String),
}

/// What a search over the comments came to.
enum Search {
    Found(Option<u64>),
    Refused(CommentOutcome),
}

impl GitHubClient {
    /// Creates or updates our one `sticky` comment on PR `pr` of `repo` (`owner/name`).
    pub async fn upsert_comment(
        &self,
        repo: &str,
        pr: u64,
        sticky: &StickyComment,
        body: &str,
    ) -> Result<CommentOutcome, PublishError> {
        let chars = body.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(PublishError::GitHub(format!(
                "comment body has {chars} characters, over GitHub's limit of {MAX_COMMENT_CHARS}; not sent"
            )));
        }
        let (owner, name) = split_repo(repo)?;
        let mut attempt = 0;
        loop {
            let existing = match self.find_comment(owner, name, pr, sticky).await? {
                Search::Found(id) => id,
                Search::Refused(skip) => return Ok(skip),
            };
            let (what, written) = match existing {
                Some(id) => self.update(owner, name, id, body).await,
                None => self.create(owner, name, pr, body).await,
            };
            let failure = match written {
                Ok(comment) => {
                    let id = comment.id.into_inner();
                    return Ok(match existing {
                        Some(_) => CommentOutcome::Updated(id),
                        None => CommentOutcome::Created(id),
                    });
                }
                Err(failure) => failure,
            };
            if failure.is_refusal() {
                return Ok(skipped(&what, &failure));
            }
            if existing.is_some() || !failure.may_have_acted() || attempt + 1 >= self.policy.max_attempts {
                return Err(failure.into_error(&what));
            }
            let wait = self.policy.backoff(attempt);
            self.warn(format!(
                "GitHub {what} {}; it may have been created anyway: looking for it before retrying in {wait:?}",
                failure.summary()
            ));
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn find_comment(
        &self,
        owner: &str,
        name: &str,
        pr: u64,
        sticky: &StickyComment,
    ) -> Result<Search, PublishError> {
        let what = format!("GET {}/repos/{owner}/{name}/issues/{pr}/comments", self.api);
        let first = self
            .call(&what, true, || async move {
                self.crab
                    .issues(owner, name)
                    .list_comments(pr)
                    .per_page(100u8)
                    .send()
                    .await
            })
            .await;
        let mut page = match first {
            Ok(page) => page,
            Err(f) if f.is_refusal() => return Ok(Search::Refused(skipped(&what, &f))),
            Err(f) => return Err(f.into_error(&what)),
        };
        let mut found = Found::default();
        for pages_read in 1.. {
            let comments: Vec<IssueComment> = page.items.iter().map(as_issue_comment).collect();
            if sticky.search_page(&comments, &mut found) || pages_read == MAX_PAGES {
                break;
            }
            let Some(next) = page.next.take() else { break };
            let what = format!("GET {next}");
            let next = Some(next);
            page = match self.call(&what, true, || self.crab.get_page::<Comment>(&next)).await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(f) if f.is_refusal() => return Ok(Search::Refused(skipped(&what, &f))),
                Err(f) => return Err(f.into_error(&what)),
            };
        }
        for (id, login) in &found.foreign {
            self.warn(format!(
                "comment {id} by {login:?} quotes the marker but was not written by a bot or \
                 --comment-author: left untouched"
            ));
        }
        Ok(Search::Found(found.id))
    }

    async fn create(&self, owner: &str, name: &str, pr: u64, body: &str) -> (String, Result<Comment, Failure>) {
        let what = format!("POST {}/repos/{owner}/{name}/issues/{pr}/comments", self.api);
        let created = self
            .call(&what, false, || async move {
                self.crab.issues(owner, name).create_comment(pr, body).await
            })
            .await;
        (what, created)
    }

    /// PATCH, as GitHub documents it: octocrab's `update_comment` sends a POST to the comment.
    async fn update(&self, owner: &str, name: &str, id: u64, body: &str) -> (String, Result<Comment, Failure>) {
        let route = format!("/repos/{owner}/{name}/issues/comments/{id}");
        let what = format!("PATCH {}{route}", self.api);
        let payload = serde_json::json!({ "body": body });
        let updated = self
            .call(&what, true, || self.crab.patch::<Comment, _, _>(&route, Some(&payload)))
            .await;
        (what, updated)
    }
}

/// octocrab's comment as the sticky rule reads it.
fn as_issue_comment(c: &Comment) -> IssueComment {
    IssueComment {
        id: c.id.into_inner(),
        body: c.body.clone(),
        user: Some(CommentUser {
            login: c.user.login.clone(),
            kind: c.user.r#type.clone(),
        }),
    }
}

fn skipped(what: &str, failure: &Failure) -> CommentOutcome {
    CommentOutcome::Skipped(format!(
        "GitHub answered {} for {what} ({}); a read-only token on a fork PR cannot comment: see docs/fork-prs.md",
        failure.status.unwrap_or_default(),
        failure.message
    ))
}
