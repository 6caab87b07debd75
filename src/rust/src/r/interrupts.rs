//! How a worker's running task is interrupted when it is cancelled. R
//! takes an interrupt from SIGINT on Unix and from its user-break flag on
//! Windows, and both land in its pending-interrupt flag while interrupts
//! are suspended.

use crate::r::ffi::R_interrupts_pending;
use crew_core::worker::Interrupt;

/// An interrupt of the calling thread, R's main thread.
pub fn evaluator_interrupt() -> Interrupt {
    #[cfg(unix)]
    {
        let thread = crew_core::os::ThreadInterrupt::current();
        Interrupt::new(move || thread.interrupt())
    }
    #[cfg(windows)]
    {
        // SAFETY: R polls the flag from its main thread; a console handler
        // thread of R's own sets it the same way.
        Interrupt::new(|| unsafe {
            std::ptr::addr_of_mut!(crate::r::ffi::UserBreak).write_volatile(1);
        })
    }
}

/// Drops an interrupt that is still pending when a new task starts: it was
/// meant for the task before (a cancellation that arrived as that task
/// ended).
pub fn forget_stale_interrupt() {
    crew_core::os::deliver_pending_signals();
    // SAFETY: called on R's main thread, which owns these flags.
    unsafe {
        std::ptr::addr_of_mut!(R_interrupts_pending).write(0);
        #[cfg(windows)]
        std::ptr::addr_of_mut!(crate::r::ffi::UserBreak).write_volatile(0);
    }
}
