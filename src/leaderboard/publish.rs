//! `publish DIR` for a leaderboard directory: everything it sends is re-rendered from
//! leaderboard.json (a fork's artifact may hold any leaderboard.md or chart; none is read), the
//! markdown goes to the sticky PR comment under the same marker rule as a run's, and with
//! `--s3-bucket` the re-rendered files go to `<prefix>/leaderboard/`. Failures are collected, not
//! raised, so one unreachable service does not stop the other (exit 4 as for runs).

use std::path::Path;

use super::model::Leaderboard;
use super::{chart, render, LeaderboardError, LEADERBOARD_FILE};
use crate::config::publish::{Env, PublishConfig};
use crate::publish::comment::{marker, MAX_COMMENT_CHARS};
use crate::publish::github::{CommentOutcome, GitHubClient, RetryPolicy};
use crate::publish::sticky::StickyComment;
use crate::s3;

/// What was done, and what failed.
#[derive(Debug, Default)]
pub struct LeaderboardPublished {
    pub comment: Option<CommentOutcome>,
    pub uploaded: Vec<String>,
    pub warnings: Vec<String>,
    pub failures: Vec<String>,
}

fn read(dir: &Path) -> Result<Leaderboard, LeaderboardError> {
    let path = dir.join(LEADERBOARD_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| LeaderboardError::Input(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| LeaderboardError::Input(format!("{}: not a leaderboard ({e})", path.display())))
}

/// The comment: the marker, then the leaderboard's markdown, cut to GitHub's limit.
pub fn comment_body(board: &Leaderboard, key: &str) -> Result<String, LeaderboardError> {
    let markdown = render::markdown(board)?;
    let mut body = format!("{}\n{markdown}", marker(key));
    if body.chars().count() > MAX_COMMENT_CHARS {
        let note = "\n\n… shortened to fit GitHub's comment limit: leaderboard.md has every table.\n";
        body = body
            .chars()
            .take(MAX_COMMENT_CHARS - note.chars().count())
            .collect::<String>()
            + note;
    }
    Ok(body)
}

pub async fn publish(dir: &Path, cfg: &PublishConfig, env: &Env) -> Result<LeaderboardPublished, LeaderboardError> {
    let board = read(dir)?;
    let mut done = LeaderboardPublished::default();
    let key = cfg.github.as_ref().map_or("default", |g| g.key.as_str());
    let body = comment_body(&board, key)?;
    let comment_path = dir.join("comment.md");
    if let Err(e) = std::fs::write(&comment_path, &body) {
        done.warnings
            .push(format!("cannot write {}: {e}", comment_path.display()));
    }
    if let Some(target) = &cfg.s3 {
        let client = s3::client(cfg.s3_endpoint.as_deref()).await;
        let markdown = render::markdown(&board)?;
        let charts = chart::render_all(&board)?;
        let html = render::html(&board, &markdown, &charts)?;
        let json = serde_json::to_string_pretty(&board).map_err(|e| LeaderboardError::Render(e.to_string()))?;
        let files = charts.into_iter().map(|c| (c.name, c.content)).chain([
            (LEADERBOARD_FILE.to_string(), json),
            ("leaderboard.md".to_string(), markdown),
            ("leaderboard.html".to_string(), html),
        ]);
        let prefix = target.prefix.trim_end_matches('/');
        for (name, content) in files {
            let key = if prefix.is_empty() {
                format!("leaderboard/{name}")
            } else {
                format!("{prefix}/leaderboard/{name}")
            };
            match s3::put_bytes(
                &client,
                &target.bucket,
                &key,
                content.into_bytes(),
                s3::content_type(&name),
            )
            .await
            {
                Ok(()) => done.uploaded.push(format!("s3://{}/{key}", target.bucket)),
                Err(e) => done.failures.push(e.to_string()),
            }
        }
    }
    if let Some(gh) = &cfg.github {
        let token = env.get(&gh.token_env).filter(|t| !t.is_empty()).cloned();
        if token.is_none() {
            done.warnings
                .push(format!("{} is not set: calling GitHub without a token", gh.token_env));
        }
        let sticky = StickyComment::new(&gh.key, gh.author.as_deref());
        let outcome = match GitHubClient::new(&gh.api_url, token, RetryPolicy::default()) {
            Ok(client) => client.upsert_comment(&gh.repo, gh.pr, &sticky, &body).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(CommentOutcome::Skipped(why)) => done.warnings.push(format!("PR comment not posted: {why}")),
            Ok(outcome) => done.comment = Some(outcome),
            Err(e) => done.failures.push(e.to_string()),
        }
    }
    Ok(done)
}
