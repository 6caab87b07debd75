//! The operating system, behind one seam: every call the core makes to
//! the system beyond what std and tokio offer lives in `unix.rs` (Linux
//! and macOS) or `windows.rs`. The rest of the core never names libc, the
//! Windows API or a platform; each function here behaves the same way on
//! every system, or its comment says where it cannot.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as system;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as system;

use std::net::IpAddr;

/// One address of an interface that is up, as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    pub name: String,
    pub ip: IpAddr,
    pub loopback: bool,
}

/// Why a process could not be asked or made to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// There is no such process.
    NotFound,
    /// This process may not end it.
    Denied,
}

/// Addresses of the interfaces that are up, in the order the system lists
/// them (getifaddrs on Unix, GetAdaptersAddresses on Windows).
pub fn interface_addresses() -> Vec<InterfaceAddress> {
    system::interface_addresses()
}

/// A user as processes are owned: the user id on Unix, the security
/// identifier on Windows.
pub use system::User;

/// The user named `name`, `None` if the system knows no such user. On
/// Windows the name may carry its domain (`DOMAIN\user`).
pub fn user(name: &str) -> Option<User> {
    system::user(name)
}

/// The name of the user this process runs as.
pub fn current_user_name() -> Option<String> {
    system::current_user_name()
}

/// Whether `process` belongs to `user`.
pub fn owned_by(process: &sysinfo::Process, user: &User) -> bool {
    system::owned_by(process, user)
}

/// The number of the signal that asks a process to end: SIGTERM, which is
/// 15 on every system this builds for (Windows' C runtime included).
#[cfg(unix)]
pub const TERMINATE_SIGNAL: i32 = libc::SIGTERM;
#[cfg(windows)]
pub const TERMINATE_SIGNAL: i32 = 15;

/// Asks a process to end. On Unix this is SIGTERM; Windows has no such
/// request for a process of another console, so there this only checks
/// that the process exists and may be ended, and the caller's grace period
/// lets it finish what it was asked to do through other channels (a
/// worker leaves when its dispatcher tells it to).
pub fn ask_to_end(pid: u32) -> Result<(), Refusal> {
    system::ask_to_end(pid)
}

/// Ends a process at once: SIGKILL on Unix, TerminateProcess on Windows.
pub fn force_end(pid: u32) -> Result<(), Refusal> {
    system::force_end(pid)
}

/// Makes this process end when its parent `parent` does, with `signal` on
/// Unix (the kernel's parent-death signal on Linux, a kqueue watch on
/// macOS) and the exit status [`ended_status`] on Windows (a thread waiting
/// on the parent's handle). Returns whether `parent` is this process's
/// parent and still running; if not, nothing is set up.
pub fn follow_parent(parent: u32, signal: i32) -> bool {
    system::follow_parent(parent, signal)
}

/// Ends this process at once from any thread, as `signal` would: the
/// signal itself on Unix, TerminateProcess with the exit status
/// [`ended_status`] on Windows, where signals do not end processes.
pub fn end_this_process(signal: i32) {
    system::end_this_process(signal)
}

/// The exit status a process ended by [`end_this_process`] or
/// [`follow_parent`] has on Windows: 128 plus the signal number, the way
/// a shell reports a process ended by that signal.
pub fn ended_status(signal: i32) -> u32 {
    128 + signal.clamp(0, 127) as u32
}

/// A way to interrupt, from another thread, the thread that made it: a
/// SIGINT sent to that thread alone. Windows has no way to interrupt a
/// thread from outside; a program there interrupts itself through a flag
/// of its own, as R does with its user-break flag.
#[cfg(unix)]
pub use system::ThreadInterrupt;

/// Lets a signal already sent to this thread be delivered now (on Unix a
/// thread takes its signals when it next returns from the kernel);
/// nothing to do on Windows.
pub fn deliver_pending_signals() {
    system::deliver_pending_signals()
}

/// Keeps SIGPIPE away from the calling thread, for the threads that write
/// to sockets: a write to a connection its peer reset then fails with
/// EPIPE. Rust programs ignore the signal, but the host program need not:
/// R's handler raises an R error, which on a thread of ours jumps across
/// its frames. Nothing to do on Windows, which has no such signal.
pub fn block_broken_pipe_signal() {
    system::block_broken_pipe_signal()
}

/// Holds SIGPIPE back from the calling thread while the value lives, for a
/// thread outside the runtime (R's) that writes to a socket itself. A
/// SIGPIPE raised meanwhile is taken before the thread's mask is restored,
/// so it is never delivered (see [`block_broken_pipe_signal`]).
pub fn hold_broken_pipe_signal() -> BrokenPipeHeld {
    system::hold_broken_pipe_signal()
}

pub use system::BrokenPipeHeld;

/// Whether this process's standard error is thrown away (`/dev/null` on
/// Unix, the NUL device or no handle at all on Windows).
pub fn stderr_discarded() -> bool {
    system::stderr_discarded()
}

/// Raises this process's limit of open files to at least `wanted` where
/// the system has such a limit and allows it; returns the limit in force
/// afterwards (`None` where sockets are not limited this way, as on
/// Windows).
pub fn raise_open_files_limit(wanted: u64) -> Option<u64> {
    system::raise_open_files_limit(wanted)
}

/// CPU time this process has used, user and system, in seconds.
pub fn process_cpu_seconds() -> f64 {
    system::process_cpu_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// This test program again, running only the ignored test `role` with
    /// `CREW_TEST_ROLE` set, and `args` in its environment.
    fn child(role: &str, args: &str) -> Command {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--ignored",
                "--exact",
                "--nocapture",
                &format!("os::tests::{role}"),
            ])
            .env("CREW_TEST_ROLE", role)
            .env("CREW_TEST_ARGS", args)
            .stdin(Stdio::null());
        command
    }

    fn acting(role: &str) -> Option<String> {
        (std::env::var("CREW_TEST_ROLE").ok()? == role)
            .then(|| std::env::var("CREW_TEST_ARGS").unwrap_or_default())
    }

    /// The value after `key=` on a line of the child's standard output.
    fn reported(output: &str, key: &str) -> Option<String> {
        output
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")).map(str::to_string))
    }

    #[test]
    fn users_resolve() {
        let me = current_user_name().expect("a user name");
        assert!(user(&me).is_some(), "{me}");
        assert!(user("no-such-user-of-crew").is_none());
        assert!(user("nul\0inside").is_none());
        assert!(user("").is_none());
    }

    #[test]
    #[ignore = "the child process of other tests"]
    fn stderr_reporter() {
        if acting("stderr_reporter").is_some() {
            println!("discarded={}", stderr_discarded());
        }
    }

    #[test]
    fn discarded_stderr_is_told_apart() {
        let run = |stderr: Stdio| {
            let output = child("stderr_reporter", "")
                .stderr(stderr)
                .output()
                .unwrap();
            reported(&String::from_utf8_lossy(&output.stdout), "discarded")
        };
        assert_eq!(run(Stdio::null()).as_deref(), Some("true"));
        assert_eq!(run(Stdio::piped()).as_deref(), Some("false"));
    }

    #[test]
    #[ignore = "the child process of other tests"]
    fn follower() {
        let Some(parent) = acting("follower") else {
            return;
        };
        let parent: u32 = parent.parse().unwrap();
        let following = follow_parent(parent, 15);
        println!("pid={}", std::process::id());
        println!("following={following}");
        if following {
            std::thread::sleep(Duration::from_secs(60));
        }
    }

    #[test]
    #[ignore = "the child process of other tests"]
    // It exits with its child still running, which is the point.
    #[allow(clippy::zombie_processes)]
    fn middle() {
        if acting("middle").is_none() {
            return;
        }
        let mut follower = child("follower", &std::process::id().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(follower.stdout.take().unwrap());
        for line in lines.lines().map_while(Result::ok) {
            println!("{line}");
            if line.starts_with("following=") {
                break;
            }
        }
        // Exits now, with the follower still running.
    }

    #[test]
    fn a_follower_ends_with_its_parent() {
        let output = child("middle", "").stdout(Stdio::piped()).output().unwrap();
        let output = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            reported(&output, "following").as_deref(),
            Some("true"),
            "{output}"
        );
        let pid: u32 = reported(&output, "pid").unwrap().parse().unwrap();
        let start = Instant::now();
        while crate::process::running(&[pid])[0] && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !crate::process::running(&[pid])[0],
            "the follower {pid} outlived its parent"
        );
    }

    #[test]
    fn following_a_process_that_is_not_the_parent_is_refused() {
        let run = |parent: u32| {
            let output = child("follower", &parent.to_string())
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            reported(&String::from_utf8_lossy(&output.stdout), "following")
        };
        assert_eq!(run(u32::MAX - 1).as_deref(), Some("false"));
        // A process that is running, and is not the follower's parent.
        let sibling = child("stderr_reporter", "")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let sibling_pid = sibling.id();
        let mut sibling = sibling;
        let refused = run(sibling_pid);
        let _ = sibling.wait();
        assert_eq!(refused.as_deref(), Some("false"));
    }

    #[test]
    fn cpu_time_grows() {
        let before = process_cpu_seconds();
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(100) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(process_cpu_seconds() > before);
    }
}
