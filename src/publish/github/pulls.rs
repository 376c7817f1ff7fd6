//! The PR lookup: its head commit and state. In the fork-PR recipe the PR number comes from an
//! artifact the fork wrote, so it is trusted only once the PR's head SHA matches the head SHA of
//! the run that made the artifact; this is the call that reads it.

use octocrab::models::IssueState;

use super::{split_repo, GitHubClient};
use crate::publish::error::PublishError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestHead {
    /// The commit the PR's branch points at now.
    pub head_sha: String,
    pub state: PullRequestState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullRequestState {
    Open,
    /// Closed without being merged.
    Closed,
    Merged,
}

impl GitHubClient {
    /// PR `pr` of `repo` (`owner/name`): a 404 (no such PR, or a token that cannot see it) is
    /// an error here, since the caller cannot go on without the head SHA.
    pub async fn fetch_pr(&self, repo: &str, pr: u64) -> Result<PullRequestHead, PublishError> {
        let (owner, name) = split_repo(repo)?;
        let what = format!("GET {}/repos/{owner}/{name}/pulls/{pr}", self.api);
        let found = self
            .call(
                &what,
                true,
                || async move { self.crab.pulls(owner, name).get(pr).await },
            )
            .await
            .map_err(|f| f.into_error(&what))?;
        let state = match (found.merged_at, found.state) {
            (Some(_), _) => PullRequestState::Merged,
            (None, Some(IssueState::Open)) => PullRequestState::Open,
            (None, Some(IssueState::Closed)) => PullRequestState::Closed,
            (None, other) => {
                return Err(PublishError::GitHub(format!(
                    "{what}: the answer has no state GitHub documents ({other:?})"
                )))
            }
        };
        Ok(PullRequestHead {
            head_sha: found.head.sha,
            state,
        })
    }
}
