//! Local processes: find a user's processes by their command line, and end
//! processes with SIGTERM, then SIGKILL once a grace period has passed.

use std::ffi::CString;
use std::sync::Once;
use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// How often a terminating process is checked.
const POLL: Duration = Duration::from_millis(10);

/// How long to wait for a process to vanish after SIGKILL.
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

/// The user id of a user name, `None` if there is no such user.
pub fn user_id(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    let mut buffer = vec![0 as libc::c_char; 4096];
    loop {
        // SAFETY: every pointer refers to memory owned by this frame, and
        // `buffer.len()` is its true size.
        let (code, uid) = unsafe {
            let mut entry: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let code = libc::getpwnam_r(
                name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut found,
            );
            (code, (!found.is_null()).then_some(entry.pw_uid))
        };
        if code == libc::ERANGE && buffer.len() < (1 << 20) {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        return uid;
    }
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
    let uid = match user {
        Some(name) => match user_id(name) {
            Some(uid) => Some(uid),
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
            uid.is_none_or(|uid| process.user_id().is_some_and(|owner| **owner == uid))
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
    /// It exited within the grace period after SIGTERM.
    Terminated,
    /// It outlived the grace period and was ended with SIGKILL.
    Killed,
    /// There was no such running process.
    NotFound,
    /// This process may not signal it.
    Denied,
    /// It was still there after SIGKILL, for example stuck in the kernel.
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

fn send(pid: u32, signal: i32) -> std::result::Result<(), Ending> {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return Err(Ending::NotFound);
    };
    // SAFETY: kill() only reads its arguments.
    if unsafe { libc::kill(raw, signal) } == 0 {
        return Ok(());
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EPERM) => Err(Ending::Denied),
        _ => Err(Ending::NotFound),
    }
}

/// Waits until every listed process is gone or replaced (its start time
/// changed, so the pid now names another process), or until `wait` passes.
/// Returns which ones are still there.
fn wait_gone(pids: &[u32], identity: &[Option<u64>], wait: Duration) -> Vec<bool> {
    let deadline = Instant::now() + wait;
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

/// Sends SIGTERM to each process, waits up to `grace` for them all to
/// exit, then sends SIGKILL to the ones left. A pid that comes to name a
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
        match send(*pid, libc::SIGTERM) {
            Ok(()) => pending.push(index),
            Err(ending) => endings[index] = Some(ending),
        }
    }
    let pending_pids: Vec<u32> = pending.iter().map(|i| pids[*i]).collect();
    let pending_identity: Vec<Option<u64>> = pending.iter().map(|i| identity[*i]).collect();
    let left = wait_gone(&pending_pids, &pending_identity, grace);
    let mut stubborn = Vec::new();
    for (slot, index) in pending.iter().enumerate() {
        if !left[slot] {
            endings[*index] = Some(Ending::Terminated);
        } else if send(pids[*index], libc::SIGKILL).is_ok() {
            stubborn.push(*index);
        } else {
            // It exited between the last check and SIGKILL.
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
    use std::process::{Child, Command};

    /// A child process whose command line carries a unique marker; `trap`
    /// makes it ignore SIGTERM.
    /// A shell whose command line holds `marker` and that waits on its
    /// standard input with a builtin: a loop of `sleep` would fork copies
    /// of the shell, with the same command line, for a moment each time.
    fn spawn(marker: &str, ignore_term: bool) -> Child {
        let trap = if ignore_term { "trap '' TERM; " } else { "" };
        let script = format!("{trap}: {marker}; while :; do read line || exit 0; done");
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn me() -> String {
        // SAFETY: getpwuid returns a pointer into static storage, read at
        // once on this thread.
        unsafe {
            let entry = libc::getpwuid(libc::getuid());
            std::ffi::CStr::from_ptr((*entry).pw_name)
                .to_string_lossy()
                .into_owned()
        }
    }

    #[test]
    fn user_names_resolve() {
        assert_eq!(user_id("root"), Some(0));
        assert_eq!(user_id("no-such-user-of-crew"), None);
        assert_eq!(user_id("nul\0inside"), None);
        assert!(user_id(&me()).is_some());
    }

    #[test]
    fn find_matches_command_lines_of_a_user() {
        let marker = format!("crew-find-{}", crate::random::hex(6));
        let mut child = spawn(&marker, false);
        let pid = child.id();
        // Until the child has exec'd, its command line is still the
        // test binary's.
        let start = Instant::now();
        while find(None, &marker).is_empty() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mine = find(Some(&me()), &marker);
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
    fn terminate_reports_sigterm_sigkill_and_missing() {
        let polite = spawn("crew-terminate-polite", false);
        let stubborn = spawn("crew-terminate-stubborn", true);
        // Give the shell time to install its trap.
        std::thread::sleep(Duration::from_millis(300));
        let pids = [polite.id(), stubborn.id(), 0, u32::MAX];
        assert_eq!(running(&pids), vec![true, true, false, false]);
        let start = Instant::now();
        let endings = terminate(&pids, Duration::from_millis(500));
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(
            endings,
            vec![
                Ending::Terminated,
                Ending::Killed,
                Ending::NotFound,
                Ending::NotFound
            ]
        );
        // Unreaped children are zombies, which count as ended.
        assert_eq!(running(&pids[..2]), vec![false, false]);
        for mut child in [polite, stubborn] {
            let _ = child.wait();
        }
    }
}
