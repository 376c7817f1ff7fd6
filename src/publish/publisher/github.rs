//! The GitHub steps of publishing: the head-commit check of `--expect-head-sha`, before anything is
//! published, and the sticky comment.

use super::{PublishOptions, PublishReport};
use crate::config::publish::{Env, GitHubTarget, PublishConfig};
use crate::error::ConfigError;
use crate::publish::error::PublishError;
use crate::publish::github::{CommentOutcome, GitHubClient, PullRequestState};
use crate::publish::sticky::StickyComment;

/// In the fork-PR recipe the PR number travels in the fork's artifact, so a fork could name any
/// PR. The run that made the artifact has a head commit GitHub vouches for; the PR is the right
/// one only when its head is that commit. A different head is bad input (exit 2); a PR that cannot
/// be read is a publishing failure (exit 4). Either way nothing has been published yet.
pub(super) async fn verify_head(
    cfg: &PublishConfig,
    env: &Env,
    opts: &PublishOptions,
    expected: &str,
) -> Result<(), PublishError> {
    let Some(gh) = &cfg.github else {
        return Err(ConfigError::new("--expect-head-sha", "needs --pr and --repo").into());
    };
    let client = GitHubClient::new(&gh.api_url, token(gh, env), opts.github_retry)?;
    let pr = client.fetch_pr(&gh.repo, gh.pr).await.map_err(|e| {
        PublishError::GitHub(format!(
            "cannot check --expect-head-sha against {}#{}, so nothing was published: {e}",
            gh.repo, gh.pr
        ))
    })?;
    if !pr.head_sha.eq_ignore_ascii_case(expected) {
        return Err(ConfigError::new(
            "--expect-head-sha",
            format!(
                "the head of {}#{} is {}, not {expected}: the run directory is not from this PR's head \
                 commit (a wrong PR number, or a newer push), so nothing was published",
                gh.repo, gh.pr, pr.head_sha
            ),
        )
        .into());
    }
    let state = match pr.state {
        PullRequestState::Open => "open",
        PullRequestState::Closed => "closed",
        PullRequestState::Merged => "merged",
    };
    println!("{}#{} is {state} with head {expected}, as expected", gh.repo, gh.pr);
    Ok(())
}

fn token(gh: &GitHubTarget, env: &Env) -> Option<String> {
    env.get(&gh.token_env).filter(|t| !t.is_empty()).cloned()
}

pub(super) async fn comment_step(
    gh: &GitHubTarget,
    env: &Env,
    opts: &PublishOptions,
    body: &str,
    report: &mut PublishReport,
) {
    let token = token(gh, env);
    if token.is_none() {
        report
            .warnings
            .push(format!("{} is not set: calling GitHub without a token", gh.token_env));
    }
    let sticky = StickyComment::new(&gh.key, gh.author.as_deref());
    let outcome = match GitHubClient::new(&gh.api_url, token, opts.github_retry) {
        Ok(client) => client.upsert_comment(&gh.repo, gh.pr, &sticky, body).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) => {
            match &outcome {
                CommentOutcome::Created(id) => println!("created PR comment {id} on {}#{}", gh.repo, gh.pr),
                CommentOutcome::Updated(id) => println!("updated PR comment {id} on {}#{}", gh.repo, gh.pr),
                CommentOutcome::Skipped(why) => report.warnings.push(format!("PR comment not posted: {why}")),
            }
            report.comment = Some(outcome);
        }
        Err(e) => report.failures.push(e),
    }
}
