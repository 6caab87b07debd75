//! Linux and macOS.

use super::{InterfaceAddress, Refusal};
use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub fn interface_addresses() -> Vec<InterfaceAddress> {
    let mut out = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list that is only read
    // here and then released with freeifaddrs; each address is read as the
    // type its family names.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return out;
        }
        let mut node = list;
        while !node.is_null() {
            let entry = &*node;
            node = entry.ifa_next;
            let up = entry.ifa_flags & libc::IFF_UP as libc::c_uint != 0;
            if !up || entry.ifa_addr.is_null() {
                continue;
            }
            let ip = match (*entry.ifa_addr).sa_family as i32 {
                libc::AF_INET => {
                    let address = &*(entry.ifa_addr as *const libc::sockaddr_in);
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)))
                }
                libc::AF_INET6 => {
                    let address = &*(entry.ifa_addr as *const libc::sockaddr_in6);
                    IpAddr::V6(Ipv6Addr::from(address.sin6_addr.s6_addr))
                }
                _ => continue,
            };
            let name = CStr::from_ptr(entry.ifa_name)
                .to_string_lossy()
                .into_owned();
            let loopback = entry.ifa_flags & libc::IFF_LOOPBACK as libc::c_uint != 0;
            out.push(InterfaceAddress { name, ip, loopback });
        }
        libc::freeifaddrs(list);
    }
    out
}

/// A user id.
pub type User = u32;

/// The user database entry that `lookup` (getpwnam_r or getpwuid_r with
/// its key) finds, read by `read`, with the buffer grown as the call asks.
fn passwd_entry<T>(
    lookup: impl Fn(
        *mut libc::passwd,
        *mut libc::c_char,
        libc::size_t,
        *mut *mut libc::passwd,
    ) -> libc::c_int,
    read: impl Fn(&libc::passwd) -> T,
) -> Option<T> {
    let mut buffer = vec![0 as libc::c_char; 4096];
    loop {
        // SAFETY: every pointer refers to memory owned by this frame, and
        // `buffer.len()` is its true size; the entry's strings point into
        // `buffer`, which outlives `read`.
        let (code, found) = unsafe {
            let mut entry: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let code = lookup(&mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found);
            (code, (!found.is_null()).then(|| read(&entry)))
        };
        if code == libc::ERANGE && buffer.len() < (1 << 20) {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        return found;
    }
}

pub fn user(name: &str) -> Option<User> {
    let name = CString::new(name).ok()?;
    // SAFETY: the arguments are passed on as passwd_entry hands them over.
    passwd_entry(
        |entry, buffer, len, found| unsafe {
            libc::getpwnam_r(name.as_ptr(), entry, buffer, len, found)
        },
        |entry| entry.pw_uid,
    )
}

pub fn current_user_name() -> Option<String> {
    // SAFETY: as in `user`; the name is a C string inside the buffer.
    passwd_entry(
        |entry, buffer, len, found| unsafe {
            libc::getpwuid_r(libc::getuid(), entry, buffer, len, found)
        },
        |entry| {
            unsafe { CStr::from_ptr(entry.pw_name) }
                .to_string_lossy()
                .into_owned()
        },
    )
}

pub fn owned_by(process: &sysinfo::Process, user: &User) -> bool {
    process.user_id().is_some_and(|owner| **owner == *user)
}

fn send(pid: u32, signal: i32) -> Result<(), Refusal> {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return Err(Refusal::NotFound);
    };
    if raw <= 0 {
        // 0 and negative ids name process groups, never one process.
        return Err(Refusal::NotFound);
    }
    // SAFETY: kill() only reads its arguments.
    if unsafe { libc::kill(raw, signal) } == 0 {
        return Ok(());
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EPERM) => Err(Refusal::Denied),
        _ => Err(Refusal::NotFound),
    }
}

pub fn ask_to_end(pid: u32) -> Result<(), Refusal> {
    send(pid, libc::SIGTERM)
}

pub fn force_end(pid: u32) -> Result<(), Refusal> {
    send(pid, libc::SIGKILL)
}

fn parent_id() -> u32 {
    std::os::unix::process::parent_id()
}

#[cfg(target_os = "linux")]
pub fn follow_parent(parent: u32, signal: i32) -> bool {
    // SAFETY: prctl with PR_SET_PDEATHSIG only reads its arguments. Set
    // before the parent is checked, so a parent that exits in between is
    // either seen gone here or signals this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0);
    }
    parent_id() == parent
}

#[cfg(target_os = "macos")]
pub fn follow_parent(parent: u32, signal: i32) -> bool {
    // SAFETY: the kqueue descriptor is owned by this function and then by
    // the watching thread alone; the kevent structures live in its frames.
    unsafe {
        let queue = libc::kqueue();
        if queue < 0 {
            return parent_id() == parent;
        }
        let mut watch: libc::kevent = std::mem::zeroed();
        watch.ident = parent as libc::uintptr_t;
        watch.filter = libc::EVFILT_PROC;
        watch.flags = libc::EV_ADD | libc::EV_ONESHOT;
        watch.fflags = libc::NOTE_EXIT;
        let added = libc::kevent(queue, &watch, 1, std::ptr::null_mut(), 0, std::ptr::null());
        // Registered before the parent is checked, so an exit in between
        // still fires the watch.
        if added < 0 || parent_id() != parent {
            libc::close(queue);
            return false;
        }
        let spawned = std::thread::Builder::new()
            .name("crew-parent-watch".into())
            .spawn(move || {
                let mut event: libc::kevent = std::mem::zeroed();
                loop {
                    let n =
                        libc::kevent(queue, std::ptr::null(), 0, &mut event, 1, std::ptr::null());
                    if n > 0 {
                        libc::kill(libc::getpid(), signal);
                        return;
                    }
                    if n < 0
                        && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                    {
                        return;
                    }
                }
            });
        if spawned.is_err() {
            libc::close(queue);
        }
        true
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn follow_parent(parent: u32, _signal: i32) -> bool {
    parent_id() == parent
}

pub fn end_this_process(signal: i32) {
    // SAFETY: kill() only reads its arguments.
    unsafe {
        libc::kill(libc::getpid(), signal);
    }
}

/// The thread to interrupt, and SIGINT, which R and most programs take as
/// the terminal's interrupt.
#[derive(Debug, Clone, Copy)]
pub struct ThreadInterrupt(libc::pthread_t);

// SAFETY: a pthread_t is an identifier; pthread_kill may name any thread
// of the process from any other.
unsafe impl Send for ThreadInterrupt {}
unsafe impl Sync for ThreadInterrupt {}

impl ThreadInterrupt {
    /// Interrupts the calling thread when [`ThreadInterrupt::interrupt`] is
    /// called later from any thread.
    pub fn current() -> ThreadInterrupt {
        // SAFETY: pthread_self has no preconditions.
        ThreadInterrupt(unsafe { libc::pthread_self() })
    }

    /// Sends SIGINT to the thread. The thread must still be alive: the
    /// worker's evaluating thread is the process's main thread.
    pub fn interrupt(&self) {
        // SAFETY: the thread is alive (see above); pthread_kill only reads
        // its arguments.
        unsafe {
            libc::pthread_kill(self.0, libc::SIGINT);
        }
    }
}

pub fn deliver_pending_signals() {
    // SAFETY: getppid has no preconditions; it is a real system call (glibc
    // and macOS do not cache it), so a signal pending on this thread is
    // delivered on its return.
    unsafe {
        libc::getppid();
    }
}

fn broken_pipe_set() -> libc::sigset_t {
    // SAFETY: the set lives in this frame and sigemptyset initialises it
    // before sigaddset reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

/// Blocks SIGPIPE on this thread and returns the mask from before.
fn block_broken_pipe() -> libc::sigset_t {
    let set = broken_pipe_set();
    // SAFETY: both sets live in this frame; pthread_sigmask changes only
    // this thread's mask and fills `old`.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        old
    }
}

fn broken_pipe_pending() -> bool {
    // SAFETY: the set lives in this frame; sigpending fills it.
    unsafe {
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut pending) == 0 && libc::sigismember(&pending, libc::SIGPIPE) == 1
    }
}

pub fn block_broken_pipe_signal() {
    block_broken_pipe();
}

pub struct BrokenPipeHeld {
    old: libc::sigset_t,
    /// SIGPIPE was blocked or pending before: nothing to take or restore.
    untouched: bool,
}

pub fn hold_broken_pipe_signal() -> BrokenPipeHeld {
    let old = block_broken_pipe();
    // SAFETY: `old` was filled by pthread_sigmask.
    let blocked = unsafe { libc::sigismember(&old, libc::SIGPIPE) == 1 };
    BrokenPipeHeld {
        old,
        untouched: blocked || broken_pipe_pending(),
    }
}

impl Drop for BrokenPipeHeld {
    fn drop(&mut self) {
        if self.untouched {
            return;
        }
        if broken_pipe_pending() {
            let set = broken_pipe_set();
            let mut signal = 0;
            // SAFETY: SIGPIPE is blocked and pending, so sigwait returns at
            // once; both arguments live in this frame.
            unsafe {
                libc::sigwait(&set, &mut signal);
            }
        }
        // SAFETY: `old` was filled by pthread_sigmask on this thread.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

pub fn stderr_discarded() -> bool {
    // SAFETY: both stat buffers live in this frame.
    unsafe {
        let mut stream: libc::stat = std::mem::zeroed();
        let mut null: libc::stat = std::mem::zeroed();
        if libc::fstat(libc::STDERR_FILENO, &mut stream) != 0 {
            // No standard error at all.
            return true;
        }
        if libc::stat(c"/dev/null".as_ptr(), &mut null) != 0 {
            return false;
        }
        stream.st_dev == null.st_dev && stream.st_ino == null.st_ino
    }
}

pub fn raise_open_files_limit(wanted: u64) -> Option<u64> {
    // SAFETY: the limit structure lives in this frame.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted.min(limit.rlim_max),
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        Some(limit.rlim_cur as u64)
    }
}

pub fn process_cpu_seconds() -> f64 {
    // SAFETY: the usage structure lives in this frame.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
