//! `memdeck team ...` (the task board, a hands-free run) and the lease and expiry commands of
//! `memdeck memory`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use memdeck::chat::Agent;
use memdeck::chat::team::{self, Ended, Run, TeamPlan};
use memdeck::clock::{format_utc, now_ms};
use memdeck::config::Config;
use memdeck::memory::board::{self, NewTask, PERSON};
use memdeck::memory::lease::seconds;
use memdeck::memory::{Grant, MemoryStore, expiry};

use super::{Failure, cancel_on_ctrl_c, check_actor, cli_provider, cli_runtime, safe_out};

#[derive(Subcommand, Debug)]
pub enum TeamCommand {
    /// Let the personas work a script themselves: its first persona says their steps and
    /// opens one task per later step; the others claim theirs once what it comes after is
    /// done, do it and mark it done. Ends when every task is done
    Run {
        /// A shipped script (team, code-review, incident) or a script file
        #[arg(value_name = "NAME|FILE")]
        script: String,
        /// Give up when someone waits longer than this for a task or a file (90s, 10m)
        #[arg(long, default_value = "10m", value_parser = super::parse_ttl_arg)]
        wait_limit: Duration,
    },
    /// The task board: every task, its status, who it is for and what it comes after
    Board {
        /// One JSON object per task
        #[arg(long)]
        json: bool,
    },
    /// Put a new open task on the board
    Add {
        /// The task's title
        title: String,
        /// Who it is meant for
        #[arg(long = "for", value_name = "NAME")]
        assignee: Option<String>,
        /// Tasks to finish first (their names on the board), comma-separated
        #[arg(long, value_delimiter = ',', value_name = "TASK")]
        after: Vec<String>,
        /// What to do, as the task's notes
        #[arg(long, default_value = "")]
        notes: String,
        /// Who opens it, in the history
        #[arg(long = "as", default_value = PERSON, value_name = "NAME")]
        actor: String,
    },
    /// Claim a task (exactly one of several claimers wins)
    Claim {
        /// The task's name on the board
        task: String,
        /// Who claims it
        #[arg(long = "as", value_name = "NAME")]
        actor: String,
        /// How long the claim lasts (10m by default)
        #[arg(long, default_value = "10m", value_parser = super::parse_ttl_arg)]
        ttl: Duration,
    },
    /// Mark a task done
    Done {
        /// The task's name on the board
        task: String,
        /// Who finished it (a person may close anyone's)
        #[arg(long = "as", default_value = PERSON, value_name = "NAME")]
        actor: String,
        /// The file holding the work
        #[arg(long, value_name = "PATH")]
        result: Option<String>,
    },
    /// Give a task to someone else: open again, meant for them
    Reassign {
        /// The task's name on the board
        task: String,
        /// Who it is for now
        to: String,
    },
}

pub fn run(config: &Config, command: &TeamCommand) -> Result<ExitCode, Failure> {
    let store = config
        .open_store()
        .map_err(|e| Failure::from(e).hint(config.store_hint()))?;
    match command {
        TeamCommand::Run { script, wait_limit } => team_run(config, &store, script, *wait_limit),
        TeamCommand::Board { json } => show_board(store.as_ref(), *json),
        TeamCommand::Add {
            title,
            assignee,
            after,
            notes,
            actor,
        } => {
            check_actor(actor)?;
            let task = board::add(
                store.as_ref(),
                &NewTask {
                    title,
                    assignee: assignee.as_deref(),
                    after,
                    notes,
                    id: None,
                },
                actor,
            )?;
            outln!("opened {} ({})", task.id, task.path);
            Ok(ExitCode::SUCCESS)
        }
        TeamCommand::Claim { task, actor, ttl } => {
            check_actor(actor)?;
            let task = board::claim(store.as_ref(), task, actor, *ttl)?;
            outln!("{}: {}", task.id, task.status);
            Ok(ExitCode::SUCCESS)
        }
        TeamCommand::Done {
            task,
            actor,
            result,
        } => {
            check_actor(actor)?;
            let task = board::complete(store.as_ref(), task, actor, result.as_deref())?;
            outln!("{}: {}", task.id, task.status);
            Ok(ExitCode::SUCCESS)
        }
        TeamCommand::Reassign { task, to } => {
            check_actor(to)?;
            let task = board::reassign(store.as_ref(), task, to, PERSON)?;
            outln!("{}: {} (for {to})", task.id, task.status);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_board(store: &dyn MemoryStore, json: bool) -> Result<ExitCode, Failure> {
    let tasks = board::list(store)?;
    let mut out = safe_out(json);
    let now = now_ms();
    if tasks.is_empty() && !json {
        errln!("the task board ({}) is empty", board::DIR);
    }
    for task in &tasks {
        let line = if json {
            serde_json::json!({
                "id": task.id,
                "title": task.title,
                "status": task.status.to_string(),
                "live": !task.status.is_done() && task.status.held_at(now).is_some(),
                "for": task.assignee,
                "after": task.after,
                "created_by": task.created_by,
                "result": task.result,
            })
            .to_string()
        } else {
            let mut line = format!("{:<28} {:<40} {}", task.id, task.status, task.title);
            if let Some(who) = &task.assignee {
                let _ = std::fmt::Write::write_fmt(&mut line, format_args!(" · for {who}"));
            }
            if !task.after.is_empty() {
                let _ = std::fmt::Write::write_fmt(
                    &mut line,
                    format_args!(" · after {}", task.after.join(", ")),
                );
            }
            if let Some(result) = &task.result {
                let _ = std::fmt::Write::write_fmt(&mut line, format_args!(" · {result}"));
            }
            line
        };
        writeln!(out, "{line}").map_err(|e| Failure::new(1, format!("cannot write: {e}")))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn team_run(
    config: &Config,
    store: &std::sync::Arc<dyn MemoryStore>,
    name: &str,
    wait_limit: Duration,
) -> Result<ExitCode, Failure> {
    let script = memdeck::chat::script::find(name).map_err(|e| Failure::new(2, e))?;
    let plan = TeamPlan::of(&script).map_err(|e| Failure::new(2, e))?;
    let provider = cli_provider(config)?;
    let session = expiry::new_session_id();
    let agent_for = |persona: &str| {
        let mut options = config.turn_options();
        options.session = Some(session.clone());
        Agent {
            provider: provider.clone(),
            store: store.clone(),
            persona: config.persona(persona),
            options,
        }
    };
    let run = Run::new(plan).wait_limit(u64::try_from(wait_limit.as_millis()).unwrap_or(u64::MAX));
    // The run is a session: notes that expire with it stay until it ends.
    let day = Duration::from_secs(24 * 3600);
    let held = match store.acquire(&expiry::session_subject(&session), "memdeck", day)? {
        Grant::Granted(lease) => Some(lease),
        Grant::Held(_) => None,
    };
    let runtime = cli_runtime()?;
    let ended = runtime.block_on(async {
        let cancel = cancel_on_ctrl_c();
        team::drive(
            run,
            &agent_for,
            store.clone(),
            &cancel,
            &mut memdeck::safe::stdout(),
        )
        .await
    });
    if let Some(lease) = held {
        let _ = store.release(&lease);
    }
    match ended {
        Ended::Finished(summary) => {
            outln!("✓ team run finished: {summary}");
            Ok(ExitCode::SUCCESS)
        }
        Ended::Stuck(why) => Err(Failure::new(1, format!("the team run stopped: {why}"))
            .hint("`memdeck team board` shows where each task stands")),
        Ended::Cancelled => Err(Failure::new(130, "cancelled")),
    }
}

/// `memory lease`: hold until interrupted, renewing; release on the way out.
pub fn hold_lease(
    store: &dyn MemoryStore,
    subject: &str,
    holder: &str,
    ttl: Duration,
) -> Result<ExitCode, Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = cli_runtime()?;
    runtime.block_on(async {
        // Listening before the lease is taken: a Ctrl+C the moment it is said still gives it
        // back.
        let listen = |kind| {
            signal(kind).map_err(|e| Failure::new(1, format!("cannot listen for signals: {e}")))
        };
        let (mut interrupt, mut terminate) = (
            listen(SignalKind::interrupt())?,
            listen(SignalKind::terminate())?,
        );
        let lease = match store.acquire(subject, holder, ttl)? {
            Grant::Granted(lease) => lease,
            Grant::Held(other) => {
                return Err(Failure::new(
                    1,
                    format!(
                        "{subject} is held by {} on {} for {} more",
                        other.holder,
                        other.host,
                        seconds(other.left(now_ms()))
                    ),
                ));
            }
        };
        outln!(
            "leased {subject} to {holder} (token {}, {}); Ctrl+C gives it back",
            lease.token,
            seconds(ttl)
        );
        let mut current = lease.clone();
        loop {
            tokio::select! {
                _ = interrupt.recv() => break,
                _ = terminate.recv() => break,
                () = tokio::time::sleep(ttl / 3) => {}
            }
            match store.renew(&current, ttl) {
                Ok(Some(renewed)) => current = renewed,
                Ok(None) => {
                    return Err(Failure::new(
                        1,
                        "the lease was lost (it ran out or was taken)",
                    ));
                }
                Err(e) => return Err(Failure::new(1, format!("cannot renew the lease: {e}"))),
            }
        }
        let released = store.release(&lease)?;
        outln!(
            "{}",
            if released {
                "released"
            } else {
                "the lease had already gone"
            }
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub fn list_leases(store: &dyn MemoryStore, json: bool) -> Result<ExitCode, Failure> {
    let leases = store.leases()?;
    let now = now_ms();
    let mut out = safe_out(json);
    if leases.is_empty() && !json {
        errln!("nothing is leased");
    }
    for lease in &leases {
        let line = if json {
            serde_json::to_string(lease).map_err(|e| Failure::new(1, e.to_string()))?
        } else {
            format!(
                "{}\t{} on {}\t{} left\ttoken {}",
                lease.subject,
                lease.holder,
                lease.host,
                seconds(lease.left(now)),
                lease.token
            )
        };
        writeln!(out, "{line}").map_err(|e| Failure::new(1, format!("cannot write: {e}")))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn expire(store: &dyn MemoryStore, dry_run: bool) -> Result<ExitCode, Failure> {
    if dry_run {
        let live = expiry::live_sessions(store)?;
        for due in expiry::due(store, now_ms(), &live)? {
            let when = match &due.expiry {
                expiry::Expiry::At(at) => format!("expired {} UTC", format_utc(*at)),
                expiry::Expiry::Session(id) => {
                    format!("its session {} ended", id.as_deref().unwrap_or("?"))
                }
            };
            outln!("{}\t{when}", due.path);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let gone = expiry::sweep_now(store)?;
    if gone.is_empty() {
        errln!("nothing has expired");
    }
    for path in gone {
        outln!("expired {path} (`memdeck memory restore {path}` brings it back)");
    }
    Ok(ExitCode::SUCCESS)
}
