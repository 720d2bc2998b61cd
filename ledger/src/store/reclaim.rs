//! Freeing written batches off the writer's thread.
//!
//! A block's batch is thousands of keys and values, each its own allocation. Once RocksDB holds
//! its copy, freeing them is work nobody waits for, yet it was an eighth of
//! [`Store::write`](super::Store::write) on the thread that commits blocks — the one serial
//! part of a busy node (BENCHMARKS.md, "The commit's own work"). A [`Reclaimer`] hands each
//! written batch to a thread of its own, which drops it.

use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Values waiting to be dropped at most; past this, [`Reclaimer::free`] drops its value itself
/// rather than wait or let memory pile up behind a slow thread.
const QUEUED: usize = 4;

/// Drops values on a background thread. Dropping the `Reclaimer` waits until every value
/// handed to it is dropped and its thread has ended.
pub(super) struct Reclaimer<T: Send + 'static> {
    /// `None` if the thread could not be started: values are then dropped where they are.
    queue: Option<SyncSender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Reclaimer<T> {
    /// Starts the reclaiming thread.
    pub(super) fn start() -> Reclaimer<T> {
        let (queue, values) = sync_channel::<T>(QUEUED);
        // Each value is dropped as it arrives; the loop ends when the sender is dropped.
        let thread = std::thread::Builder::new()
            .name("tidepool-reclaim".into())
            .spawn(move || values.into_iter().for_each(drop));
        match thread {
            Ok(thread) => Reclaimer { queue: Some(queue), thread: Some(thread) },
            Err(_) => Reclaimer { queue: None, thread: None },
        }
    }

    /// Drops `value`: on the reclaiming thread, or here if its queue is full.
    pub(super) fn free(&self, value: T) {
        if let Some(queue) = &self.queue {
            match queue.try_send(value) {
                Ok(()) => {}
                Err(TrySendError::Full(value) | TrySendError::Disconnected(value)) => drop(value),
            }
        }
    }
}

impl<T: Send + 'static> Drop for Reclaimer<T> {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            // The thread only drops values; if one's drop panicked, there is nothing to undo.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Every value handed over is dropped once the reclaimer is — more values than its queue
    /// holds, so some are dropped by the caller and the rest by the thread.
    #[test]
    fn every_value_handed_over_is_dropped() {
        let value = Arc::new(());
        let reclaimer = Reclaimer::start();
        assert!(reclaimer.thread.is_some(), "the thread starts");
        for _ in 0..(QUEUED * 8) {
            reclaimer.free(Arc::clone(&value));
        }
        drop(reclaimer);
        assert_eq!(Arc::strong_count(&value), 1, "no clone is left");
    }

    /// A value sent to the thread is dropped there, not by the caller.
    #[test]
    fn a_value_is_dropped_on_the_reclaiming_thread() {
        struct Where(Arc<std::sync::Mutex<Option<String>>>);
        impl Drop for Where {
            fn drop(&mut self) {
                *self.0.lock().unwrap() = std::thread::current().name().map(str::to_owned);
            }
        }
        let seen = Arc::new(std::sync::Mutex::new(None));
        let reclaimer = Reclaimer::start();
        reclaimer.free(Where(Arc::clone(&seen)));
        drop(reclaimer);
        assert_eq!(seen.lock().unwrap().as_deref(), Some("tidepool-reclaim"));
    }
}
