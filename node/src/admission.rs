//! Admission to the VM: at most a fixed number of calls run at once.
//!
//! The VM's pooling allocator has a fixed number of instance slots, and one call can hold up to
//! `max_call_depth` of them (one per nested frame). Without a bound, enough concurrent queries would
//! exhaust the pool and fail as a host error; with it, the surplus waits for a slot instead.
//!
//! parking_lot's condition variable, because a slot is released after every call and std's
//! `notify_one` makes a futex system call whether or not anyone waits (~1 % of the machine in a
//! profile of contract queries at 64 connections); parking_lot's returns at once when nobody does.

use parking_lot::{Condvar, Mutex};

/// A counting semaphore for VM calls.
pub(crate) struct Admission {
    in_use: Mutex<usize>,
    freed: Condvar,
    capacity: usize,
}

/// A held slot; released on drop.
pub(crate) struct Slot<'a> {
    admission: &'a Admission,
}

impl Admission {
    /// Room for `capacity` concurrent calls (at least one).
    pub(crate) fn new(capacity: usize) -> Admission {
        Admission { in_use: Mutex::new(0), freed: Condvar::new(), capacity: capacity.max(1) }
    }

    /// A free slot now, or `None` (never waits).
    pub(crate) fn try_enter(&self) -> Option<Slot<'_>> {
        let mut in_use = self.in_use.lock();
        if *in_use >= self.capacity {
            return None;
        }
        *in_use += 1;
        Some(Slot { admission: self })
    }

    /// Waits for a free slot.
    pub(crate) fn enter(&self) -> Slot<'_> {
        let mut in_use = self.in_use.lock();
        while *in_use >= self.capacity {
            self.freed.wait(&mut in_use);
        }
        *in_use += 1;
        Slot { admission: self }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut in_use = self.admission.in_use.lock();
        *in_use -= 1;
        self.admission.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier, mpsc};
    use std::time::Duration;

    use super::Admission;

    /// Safety: however many wait, at most `capacity` hold a slot. (How many overlap depends on
    /// the scheduler, so the peak is bounded, not expected; the next test shows the capacity is
    /// reached.)
    #[test]
    fn never_more_than_capacity_run_at_once() {
        let admission = Arc::new(Admission::new(3));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (admission, running, peak) = (admission.clone(), running.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _slot = admission.enter();
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(200));
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=3).contains(&peak), "peak {peak}");
    }

    /// Liveness: `capacity` callers hold slots at the same time — three threads that each wait,
    /// slot in hand, for the other two all get through.
    #[test]
    fn capacity_callers_hold_slots_together() {
        let admission = Arc::new(Admission::new(3));
        let together = Arc::new(Barrier::new(3));
        let (done, finished) = mpsc::channel();
        for _ in 0..3 {
            let (admission, together, done) = (admission.clone(), together.clone(), done.clone());
            std::thread::spawn(move || {
                let _slot = admission.enter();
                together.wait();
                done.send(()).unwrap();
            });
        }
        for _ in 0..3 {
            finished.recv_timeout(Duration::from_secs(30)).expect("three slots held at once");
        }
    }
}
