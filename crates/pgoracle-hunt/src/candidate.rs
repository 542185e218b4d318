//! The implementation under test. A candidate answers one case at a time with one result in
//! the protocol of `pgoracle eval --jsonl` (oracle interface): `{ "id", "operation", "output" }`
//! or `{ "id", "operation", "error": { "kind", "message" } }`.
//!
//! A candidate that misbehaves is a finding, never a hang: [`Process`] waits at most its
//! timeout for each line, restarts a candidate that crashed, hung or printed garbage, and
//! reports each of those with the case that caused it ([`Misbehaviour`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// How a candidate failed to answer a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misbehaviour {
    /// No line within the per-case timeout.
    Timeout,
    /// The process exited, or closed its output, before answering.
    Crash,
    /// The line is not a JSON object.
    Garbled,
    /// The result's `id` is not the case's.
    WrongId,
}

impl Misbehaviour {
    /// The name of the disagreement kind.
    pub fn name(&self) -> &'static str {
        match self {
            Misbehaviour::Timeout => "timeout",
            Misbehaviour::Crash => "crash",
            Misbehaviour::Garbled => "garbled",
            Misbehaviour::WrongId => "wrong_id",
        }
    }
}

/// A candidate's answer: its result, or how it failed, with what it printed.
pub type Answer = Result<Value, (Misbehaviour, String)>;

/// An implementation under test.
pub trait Candidate {
    /// The candidate's result for one case (a JSON object with `id` and `operation`).
    fn answer(&mut self, case: &Value) -> Answer;
}

/// A candidate that is a function (in-process: a Rust closure, or the Python package's
/// callable).
pub struct Function<F>(pub F);

impl<F: FnMut(&Value) -> Answer> Candidate for Function<F> {
    fn answer(&mut self, case: &Value) -> Answer {
        (self.0)(case)
    }
}

/// A command started once and fed one case per line on its standard input; it prints one
/// result per line (`pgoracle eval --jsonl`'s protocol). It runs under `sh -c`, so the
/// command is written as in a shell.
pub struct Process {
    command: String,
    timeout: Duration,
    running: Option<Running>,
}

/// A started candidate process.
struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

/// Why a candidate could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the candidate `{command}`: {source}")]
pub struct StartError {
    /// The command.
    pub command: String,
    /// The operating system's error.
    pub source: std::io::Error,
}

impl Process {
    /// Starts `command` (via `sh -c`) with a per-case `timeout`.
    ///
    /// # Errors
    /// [`StartError`] when the shell cannot be started.
    pub fn start(command: &str, timeout: Duration) -> Result<Process, StartError> {
        let mut p = Process {
            command: command.to_string(),
            timeout,
            running: None,
        };
        p.running = Some(p.spawn()?);
        Ok(p)
    }

    fn spawn(&self) -> Result<Running, StartError> {
        let error = |source| StartError {
            command: self.command.clone(),
            source,
        };
        // Its own process group, so that a kill reaches whatever the shell started.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(error)?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = child.kill();
                    return Err(error(std::io::Error::other("no pipes")));
                }
            };
        Ok(Running {
            child,
            stdin,
            lines: reader(BufReader::new(stdout)),
            stderr: tail(stderr),
        })
    }

    /// Kills the running process (if any) and starts a new one; what the old one printed on
    /// its standard error (the last 2 kB).
    fn restart(&mut self) -> String {
        let mut said = String::new();
        if let Some(old) = self.running.take() {
            said = stop(old);
        }
        self.running = self.spawn().ok();
        said
    }
}

/// A thread that sends each line of `input` (without its newline) and stops at its end.
fn reader(input: impl BufRead + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    thread::spawn(move || {
        for line in input.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A thread that reads all of `input` and sends its last 2 kB once it ends.
fn tail(mut input: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(k) = input.read(&mut buf) {
            if k == 0 {
                break;
            }
            all.extend_from_slice(&buf[..k]);
            if all.len() > 4096 {
                all.drain(..all.len() - 2048);
            }
        }
        let start = all.len().saturating_sub(2048);
        let _ = tx.send(String::from_utf8_lossy(&all[start..]).into_owned());
    });
    rx
}

impl Candidate for Process {
    fn answer(&mut self, case: &Value) -> Answer {
        if self.running.is_none() {
            self.running = self.spawn().ok();
        }
        let Some(run) = self.running.as_mut() else {
            return Err((
                Misbehaviour::Crash,
                "the candidate cannot be started".into(),
            ));
        };
        let sent = writeln!(run.stdin, "{case}").and_then(|()| run.stdin.flush());
        let line = match sent {
            Ok(()) => run.lines.recv_timeout(self.timeout),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        match line {
            Ok(line) => match serde_json::from_str::<Value>(&line) {
                Ok(result) if result.is_object() => {
                    if result.get("id") == case.get("id") {
                        Ok(result)
                    } else {
                        // Out of step: later lines would answer other cases.
                        self.restart();
                        Err((Misbehaviour::WrongId, line))
                    }
                }
                _ => {
                    self.restart();
                    Err((Misbehaviour::Garbled, line))
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                self.restart();
                Err((
                    Misbehaviour::Timeout,
                    format!("no line within {:?}", self.timeout),
                ))
            }
            Err(RecvTimeoutError::Disconnected) => {
                thread::sleep(Duration::from_millis(20));
                let status = match self.running.as_mut().map(|r| r.child.try_wait()) {
                    Some(Ok(Some(status))) => status.to_string(),
                    _ => "its output closed".into(),
                };
                let said = self.restart();
                Err((Misbehaviour::Crash, format!("{status}; stderr: {said}")))
            }
        }
    }
}

/// Kills a candidate's process group and reaps it; the last of its standard error.
fn stop(mut run: Running) -> String {
    let group = format!("-{}", run.child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = run.child.kill();
    let _ = run.child.wait();
    drop(run.stdin);
    run.stderr
        .recv_timeout(Duration::from_millis(200))
        .unwrap_or_default()
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(run) = self.running.take() {
            stop(run);
        }
    }
}
