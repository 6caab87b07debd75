//! Windows.

use super::{ended_status, InterfaceAddress, Refusal};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, LocalFree, ERROR_ACCESS_DENIED, ERROR_BUFFER_OVERFLOW,
    ERROR_INSUFFICIENT_BUFFER, FILETIME, HANDLE, INVALID_HANDLE_VALUE, NO_ERROR, WAIT_OBJECT_0,
};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetAdaptersAddresses, GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_DNS_SERVER, GAA_FLAG_SKIP_MULTICAST,
    IF_TYPE_SOFTWARE_LOOPBACK, IP_ADAPTER_ADDRESSES_LH,
};
use windows_sys::Win32::NetworkManagement::Ndis::IfOperStatusUp;
use windows_sys::Win32::Networking::WinSock::{
    AF_INET, AF_INET6, AF_UNSPEC, SOCKADDR_IN, SOCKADDR_IN6,
};
use windows_sys::Win32::Security::Authorization::ConvertSidToStringSidW;
use windows_sys::Win32::Security::{LookupAccountNameW, SID_NAME_USE};
use windows_sys::Win32::Storage::FileSystem::{GetFileType, FILE_TYPE_CHAR, FILE_TYPE_UNKNOWN};
use windows_sys::Win32::System::Console::{GetConsoleMode, GetStdHandle, STD_ERROR_HANDLE};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessTimes, OpenProcess, TerminateProcess, WaitForSingleObject,
    INFINITE, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, PROCESS_TERMINATE,
};
use windows_sys::Win32::System::WindowsProgramming::GetUserNameW;

/// A NUL-terminated UTF-16 string read into a `String`.
///
/// # Safety
/// `text` is null or points to a NUL-terminated UTF-16 string.
unsafe fn wide_to_string(text: *const u16) -> String {
    if text.is_null() {
        return String::new();
    }
    let mut len = 0;
    while *text.add(len) != 0 {
        len += 1;
    }
    String::from_utf16_lossy(std::slice::from_raw_parts(text, len))
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

pub fn interface_addresses() -> Vec<InterfaceAddress> {
    let flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
    let mut size: u32 = 16 * 1024;
    let mut buffer: Vec<u64>;
    loop {
        // u64 cells keep the adapter structures aligned.
        buffer = vec![0u64; (size as usize).div_ceil(8)];
        // SAFETY: `buffer` holds `size` bytes, as the call is told.
        let code = unsafe {
            GetAdaptersAddresses(
                AF_UNSPEC as u32,
                flags,
                std::ptr::null(),
                buffer.as_mut_ptr() as *mut IP_ADAPTER_ADDRESSES_LH,
                &mut size,
            )
        };
        match code {
            NO_ERROR => break,
            ERROR_BUFFER_OVERFLOW if size as usize > buffer.len() * 8 => continue,
            _ => return Vec::new(),
        }
    }
    let mut out = Vec::new();
    // SAFETY: the call filled `buffer` with a linked list of adapters whose
    // pointers all point into it; each socket address is read as the type
    // its family names.
    unsafe {
        let mut adapter = buffer.as_ptr() as *const IP_ADAPTER_ADDRESSES_LH;
        while !adapter.is_null() {
            let entry = &*adapter;
            adapter = entry.Next;
            if entry.OperStatus != IfOperStatusUp {
                continue;
            }
            let name = wide_to_string(entry.FriendlyName);
            let loopback = entry.IfType == IF_TYPE_SOFTWARE_LOOPBACK;
            let mut unicast = entry.FirstUnicastAddress;
            while !unicast.is_null() {
                let address = (*unicast).Address.lpSockaddr;
                unicast = (*unicast).Next;
                if address.is_null() {
                    continue;
                }
                let ip = match (*address).sa_family {
                    AF_INET => {
                        let v4 = &*(address as *const SOCKADDR_IN);
                        IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.S_un.S_addr)))
                    }
                    AF_INET6 => {
                        let v6 = &*(address as *const SOCKADDR_IN6);
                        IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.u.Byte))
                    }
                    _ => continue,
                };
                let loopback = loopback || ip.is_loopback();
                out.push(InterfaceAddress {
                    name: name.clone(),
                    ip,
                    loopback,
                });
            }
        }
    }
    out
}

/// A security identifier in its string form (`S-1-5-...`), as sysinfo
/// shows the owners of processes.
pub type User = String;

pub fn user(name: &str) -> Option<User> {
    if name.is_empty() || name.contains('\0') {
        return None;
    }
    let account = wide(name);
    let mut sid = vec![0u8; 256];
    let mut domain = vec![0u16; 256];
    loop {
        let mut sid_size = sid.len() as u32;
        let mut domain_size = domain.len() as u32;
        let mut kind: SID_NAME_USE = 0;
        // SAFETY: the buffers are as long as the sizes the call is given.
        let found = unsafe {
            LookupAccountNameW(
                std::ptr::null(),
                account.as_ptr(),
                sid.as_mut_ptr() as *mut _,
                &mut sid_size,
                domain.as_mut_ptr(),
                &mut domain_size,
                &mut kind,
            )
        };
        if found != 0 {
            break;
        }
        // SAFETY: GetLastError has no preconditions.
        let code = unsafe { GetLastError() };
        if code == ERROR_INSUFFICIENT_BUFFER
            && (sid_size as usize > sid.len() || domain_size as usize > domain.len())
        {
            sid.resize((sid_size as usize).max(sid.len()), 0);
            domain.resize((domain_size as usize).max(domain.len()), 0);
            continue;
        }
        return None;
    }
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` holds a valid SID; the string the call allocates is
    // copied and then released with LocalFree.
    unsafe {
        if ConvertSidToStringSidW(sid.as_mut_ptr() as *mut _, &mut text) == 0 {
            return None;
        }
        let out = wide_to_string(text);
        LocalFree(text as *mut _);
        Some(out)
    }
}

pub fn current_user_name() -> Option<String> {
    let mut buffer = vec![0u16; 257];
    let mut size = buffer.len() as u32;
    // SAFETY: `buffer` holds `size` UTF-16 units.
    if unsafe { GetUserNameW(buffer.as_mut_ptr(), &mut size) } == 0 {
        return None;
    }
    // SAFETY: the call wrote a NUL-terminated name.
    Some(unsafe { wide_to_string(buffer.as_ptr()) })
}

pub fn owned_by(process: &sysinfo::Process, user: &User) -> bool {
    process
        .user_id()
        .is_some_and(|owner| (**owner).to_string().eq_ignore_ascii_case(user))
}

/// A process handle, closed when dropped.
struct Process(HANDLE);

// SAFETY: a process handle may be used and closed from any thread.
unsafe impl Send for Process {}

impl Process {
    fn open(pid: u32, access: u32) -> Result<Process, Refusal> {
        if pid == 0 {
            return Err(Refusal::NotFound);
        }
        // SAFETY: OpenProcess only reads its arguments.
        let handle = unsafe { OpenProcess(access, 0, pid) };
        if handle.is_null() {
            // SAFETY: GetLastError has no preconditions.
            return Err(match unsafe { GetLastError() } {
                ERROR_ACCESS_DENIED => Refusal::Denied,
                _ => Refusal::NotFound,
            });
        }
        Ok(Process(handle))
    }

    /// Whether the process has exited (its handle is signalled).
    fn exited(&self) -> bool {
        // SAFETY: the handle is open.
        unsafe { WaitForSingleObject(self.0, 0) == WAIT_OBJECT_0 }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SAFETY: the handle is open and owned by this value.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// A process's times in 100 ns units: when it was created (since 1601),
/// and the CPU time it spent in the kernel and in user mode.
struct Times {
    created: u64,
    kernel: u64,
    user: u64,
}

/// # Safety
/// `handle` is an open process handle with query access, or the
/// pseudo-handle of this process.
unsafe fn times(handle: HANDLE) -> Option<Times> {
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut creation, mut exit, mut kernel, mut user) = (zero, zero, zero, zero);
    if GetProcessTimes(handle, &mut creation, &mut exit, &mut kernel, &mut user) == 0 {
        return None;
    }
    let ticks = |t: FILETIME| u64::from(t.dwHighDateTime) << 32 | u64::from(t.dwLowDateTime);
    Some(Times {
        created: ticks(creation),
        kernel: ticks(kernel),
        user: ticks(user),
    })
}

pub fn ask_to_end(pid: u32) -> Result<(), Refusal> {
    let process = Process::open(pid, PROCESS_TERMINATE | PROCESS_SYNCHRONIZE)?;
    if process.exited() {
        return Err(Refusal::NotFound);
    }
    Ok(())
}

pub fn force_end(pid: u32) -> Result<(), Refusal> {
    let process = Process::open(pid, PROCESS_TERMINATE | PROCESS_SYNCHRONIZE)?;
    if process.exited() {
        return Err(Refusal::NotFound);
    }
    // The status of a process ended from outside, as for SIGKILL.
    // SAFETY: the handle is open with terminate access.
    if unsafe { TerminateProcess(process.0, ended_status(9)) } == 0 {
        return Err(Refusal::Denied);
    }
    Ok(())
}

/// This process's parent as Windows recorded it at its creation.
fn parent_id() -> Option<u32> {
    let me = sysinfo::Pid::from_u32(std::process::id());
    let mut system = sysinfo::System::new();
    system.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::Some(&[me]),
        false,
        sysinfo::ProcessRefreshKind::nothing(),
    );
    system.process(me)?.parent().map(|pid| pid.as_u32())
}

pub fn follow_parent(parent: u32, signal: i32) -> bool {
    if parent_id() != Some(parent) {
        return false;
    }
    let access = PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;
    let Ok(process) = Process::open(parent, access) else {
        return false;
    };
    // A process id is reused once its process is gone: a parent created
    // after this process is another process that took the id.
    // SAFETY: both handles are open with query access.
    let parent_first = unsafe {
        match (times(process.0), times(GetCurrentProcess())) {
            (Some(parent), Some(me)) => parent.created <= me.created,
            _ => false,
        }
    };
    if !parent_first || process.exited() {
        return false;
    }
    let status = ended_status(signal);
    std::thread::Builder::new()
        .name("crew-parent-watch".into())
        .spawn(move || {
            let process = process;
            // SAFETY: the handle is open until `process` drops.
            if unsafe { WaitForSingleObject(process.0, INFINITE) } == WAIT_OBJECT_0 {
                // SAFETY: the pseudo-handle of this process needs no opening.
                unsafe {
                    TerminateProcess(GetCurrentProcess(), status);
                }
            }
        })
        .is_ok()
}

pub fn end_this_process(signal: i32) {
    // SAFETY: the pseudo-handle of this process needs no opening.
    unsafe {
        TerminateProcess(GetCurrentProcess(), ended_status(signal));
    }
}

pub fn deliver_pending_signals() {}

pub fn block_broken_pipe_signal() {}

pub struct BrokenPipeHeld;

pub fn hold_broken_pipe_signal() -> BrokenPipeHeld {
    BrokenPipeHeld
}

pub fn stderr_discarded() -> bool {
    // SAFETY: GetStdHandle, GetFileType and GetConsoleMode only read the
    // handle and write the mode in this frame.
    unsafe {
        let handle = GetStdHandle(STD_ERROR_HANDLE);
        if handle.is_null() || handle == INVALID_HANDLE_VALUE {
            return true;
        }
        match GetFileType(handle) {
            // A character device that is no console is the NUL device (or
            // a printer port, which no launcher hands a worker).
            FILE_TYPE_CHAR => {
                let mut mode = 0;
                GetConsoleMode(handle, &mut mode) == 0
            }
            FILE_TYPE_UNKNOWN => true,
            _ => false,
        }
    }
}

pub fn raise_open_files_limit(_wanted: u64) -> Option<u64> {
    None
}

pub fn process_cpu_seconds() -> f64 {
    // SAFETY: the pseudo-handle of this process needs no opening.
    unsafe { times(GetCurrentProcess()) }.map_or(0.0, |t| (t.kernel + t.user) as f64 * 1e-7)
}
