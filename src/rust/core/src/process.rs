//! Local processes: find a user's processes by their command line, and end
//! processes: asked first (SIGTERM on Unix), then forced (SIGKILL, or
//! TerminateProcess on Windows) once a grace period has passed.

use crate::os::{self, Refusal};
use std::sync::Once;
use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// How often a terminating process is checked.
const POLL: Duration = Duration::from_millis(10);

/// How long to wait for a process to vanish after it was forced to end.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// A process table that holds no file open after a refresh. By default
/// sysinfo keeps each process's `stat` file open on Linux, which in a
/// client R session would briefly hold hundreds of descriptors.
fn system() -> System {
    static LIMIT: Once = Once::new();
    LIMIT.call_once(|| {
        sysinfo::set_open_files_limit(0);
    });
    System::new()
}

fn command_line(process: &sysinfo::Process) -> String {
    process
        .cmd()
        .iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Process ids, sorted, of the processes whose command line (its parts
/// joined with spaces) contains `pattern`, limited to those of `user` (a
/// user name) unless it is `None`. An unknown user has no processes.
pub fn find(user: Option<&str>, pattern: &str) -> Vec<u32> {
    let owner = match user {
        Some(name) => match os::user(name) {
            Some(owner) => Some(owner),
            None => return Vec::new(),
        },
        None => None,
    };
    let mut system = system();
    system.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .without_tasks()
            .with_cmd(UpdateKind::Always)
            .with_user(UpdateKind::Always),
    );
    let mut pids: Vec<u32> = system
        .processes()
        .values()
        .filter(|process| process.thread_kind().is_none())
        .filter(|process| {
            owner
                .as_ref()
                .is_none_or(|owner| os::owned_by(process, owner))
        })
        .filter(|process| command_line(process).contains(pattern))
        .map(|process| process.pid().as_u32())
        .collect();
    pids.sort_unstable();
    pids
}

/// Start times of the given processes that are running (not zombies),
/// read in one pass; `None` for a process that is gone.
fn start_times(pids: &[u32]) -> Vec<Option<u64>> {
    let wanted: Vec<Pid> = pids.iter().map(|pid| Pid::from_u32(*pid)).collect();
    let mut system = system();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&wanted),
        true,
        ProcessRefreshKind::nothing().without_tasks(),
    );
    wanted
        .iter()
        .map(|pid| {
            system
                .process(*pid)
                .filter(|process| !matches!(process.status(), ProcessStatus::Zombie))
                .map(|process| process.start_time())
        })
        .collect()
}

/// Whether each process is running: it exists and has not exited (a
/// zombie waiting for its parent counts as ended).
pub fn running(pids: &[u32]) -> Vec<bool> {
    start_times(pids).iter().map(Option::is_some).collect()
}

/// What happened to a process that was asked to terminate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited within the grace period after it was asked to.
    Terminated,
    /// It outlived the grace period and was forced to end.
    Killed,
    /// There was no such running process.
    NotFound,
    /// This process may not signal it.
    Denied,
    /// It was still there after it was forced to end, for example stuck
    /// in the kernel.
    Survived,
}

impl Ending {
    /// A stable one-word name.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Terminated => "terminated",
            Ending::Killed => "killed",
            Ending::NotFound => "not_found",
            Ending::Denied => "denied",
            Ending::Survived => "survived",
        }
    }

    /// Whether the process ended because it was signalled.
    pub fn ended(self) -> bool {
        matches!(self, Ending::Terminated | Ending::Killed)
    }
}

fn refused(refusal: Refusal) -> Ending {
    match refusal {
        Refusal::NotFound => Ending::NotFound,
        Refusal::Denied => Ending::Denied,
    }
}

/// Waits until every listed process is gone or replaced (its start time
/// changed, so the pid now names another process), or until `wait` passes.
/// Returns which ones are still there.
fn wait_gone(pids: &[u32], identity: &[Option<u64>], wait: Duration) -> Vec<bool> {
    let deadline = crate::duration::deadline_in(wait);
    loop {
        let now = start_times(pids);
        let left: Vec<bool> = now
            .iter()
            .zip(identity)
            .map(|(now, then)| now.is_some() && now == then)
            .collect();
        if !left.contains(&true) || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(POLL);
    }
}

/// Asks each process to end (see [`os::ask_to_end`]), waits up to `grace`
/// for them all to exit, then forces the ones left to end. A pid that comes to name a
/// different process in the meantime is never signalled again. Returns
/// what happened to each process, in the order given.
pub fn terminate(pids: &[u32], grace: Duration) -> Vec<Ending> {
    let identity = start_times(pids);
    let mut endings: Vec<Option<Ending>> = vec![None; pids.len()];
    let mut pending = Vec::new();
    for (index, pid) in pids.iter().enumerate() {
        if *pid == 0 || identity[index].is_none() {
            endings[index] = Some(Ending::NotFound);
            continue;
        }
        match os::ask_to_end(*pid) {
            Ok(()) => pending.push(index),
            Err(refusal) => endings[index] = Some(refused(refusal)),
        }
    }
    let pending_pids: Vec<u32> = pending.iter().map(|i| pids[*i]).collect();
    let pending_identity: Vec<Option<u64>> = pending.iter().map(|i| identity[*i]).collect();
    let left = wait_gone(&pending_pids, &pending_identity, grace);
    let mut stubborn = Vec::new();
    for (slot, index) in pending.iter().enumerate() {
        if !left[slot] {
            endings[*index] = Some(Ending::Terminated);
        } else if os::force_end(pids[*index]).is_ok() {
            stubborn.push(*index);
        } else {
            // It exited between the last check and the forced end.
            endings[*index] = Some(Ending::Terminated);
        }
    }
    let stubborn_pids: Vec<u32> = stubborn.iter().map(|i| pids[*i]).collect();
    let stubborn_identity: Vec<Option<u64>> = stubborn.iter().map(|i| identity[*i]).collect();
    let left = wait_gone(&stubborn_pids, &stubborn_identity, KILL_WAIT);
    for (slot, index) in stubborn.iter().enumerate() {
        endings[*index] = Some(if left[slot] {
            Ending::Survived
        } else {
            Ending::Killed
        });
    }
    endings
        .into_iter()
        .map(|ending| ending.unwrap_or(Ending::NotFound))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command, Stdio};

    /// A child process with `marker` on its command line that waits for
    /// its standard input to close: this test program again, running only
    /// the ignored test `sleeper` (the marker is a second test-name filter,
    /// which matches nothing). It runs wherever the tests run.
    fn spawn_sleeper(marker: &str) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "process::tests::sleeper", marker])
            .env("CREW_TEST_SLEEPER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    #[test]
    #[ignore = "the child process of other tests"]
    fn sleeper() {
        if std::env::var_os("CREW_TEST_SLEEPER").is_some() {
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
        }
    }

    /// A shell that ignores SIGTERM, with `marker` on its command line,
    /// waiting on its standard input with a builtin: a loop of `sleep`
    /// would fork copies of the shell, with the same command line, for a
    /// moment each time.
    fn spawn_stubborn_shell(marker: &str) -> Child {
        let script = format!("trap '' TERM; : {marker}; while :; do read line || exit 0; done");
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn find_matches_command_lines_of_a_user() {
        let marker = format!("crew-find-{}", crate::secure_random::hex(6));
        let mut child = spawn_sleeper(&marker);
        let pid = child.id();
        // Until the child has started, its command line is not yet its own.
        let start = Instant::now();
        while find(None, &marker).is_empty() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let me = os::current_user_name().unwrap();
        let mine = find(Some(&me), &marker);
        let anyone = find(None, &marker);
        let nobody = find(Some("no-such-user-of-crew"), &marker);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(mine, vec![pid]);
        assert_eq!(anyone, vec![pid]);
        assert!(nobody.is_empty());
        assert!(find(None, &format!("{marker}-absent")).is_empty());
    }

    #[test]
    fn terminate_ends_a_process_and_reports_missing_ones() {
        let mut child = spawn_sleeper(&format!("crew-terminate-{}", crate::secure_random::hex(6)));
        let pids = [child.id(), 0, u32::MAX];
        let start = Instant::now();
        while !running(&pids[..1])[0] && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(running(&pids), vec![true, false, false]);
        let endings = terminate(&pids, Duration::from_millis(500));
        // Windows has no request to end that a test program heeds: there
        // the process outlives the grace period and is forced to end.
        let asked = if cfg!(windows) {
            Ending::Killed
        } else {
            Ending::Terminated
        };
        assert_eq!(endings, vec![asked, Ending::NotFound, Ending::NotFound]);
        let _ = child.wait();
        assert!(!running(&pids[..1])[0]);
    }

    #[test]
    #[cfg_attr(windows, ignore = "needs a POSIX shell that ignores SIGTERM")]
    fn terminate_forces_a_process_that_ignores_the_request() {
        let stubborn = spawn_stubborn_shell("crew-terminate-stubborn");
        // Give the shell time to install its trap.
        std::thread::sleep(Duration::from_millis(300));
        let pids = [stubborn.id()];
        let start = Instant::now();
        let endings = terminate(&pids, Duration::from_millis(500));
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(endings, vec![Ending::Killed]);
        // An unreaped child is a zombie, which counts as ended.
        assert_eq!(running(&pids), vec![false]);
        let mut stubborn = stubborn;
        let _ = stubborn.wait();
    }
}
