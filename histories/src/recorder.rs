//! The recorder the world and the workload append history records to.

use crate::history::History;
use crate::op::{Function, Op, OpType, Process};
use crate::value::Value;
use std::io::{self, Write};

/// Appends records with dense indexes and, when asked, streams each one to
/// a writer as a JSON line as soon as it is recorded (so a trial that dies
/// still leaves the history up to that point on disk).
pub struct Recorder {
    history: History,
    sink: Option<Box<dyn Write + Send>>,
    sink_error: Option<io::Error>,
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder::new()
    }
}

impl Recorder {
    /// A recorder that keeps the history in memory only.
    pub fn new() -> Recorder {
        Recorder {
            history: History::default(),
            sink: None,
            sink_error: None,
        }
    }

    /// An in-memory recorder with room for `records` records before it
    /// has to grow (growing copies the whole history).
    pub fn with_capacity(records: usize) -> Recorder {
        Recorder {
            history: History {
                ops: Vec::with_capacity(records),
            },
            ..Recorder::new()
        }
    }

    /// A recorder that also writes every record to `sink` as JSON Lines.
    pub fn streaming(sink: Box<dyn Write + Send>) -> Recorder {
        Recorder {
            sink: Some(sink),
            ..Recorder::new()
        }
    }

    /// Records one entry and returns its index.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        time_ns: u64,
        kind: OpType,
        process: Process,
        f: Function,
        key: Option<Value>,
        value: Value,
        error: Option<String>,
    ) -> u64 {
        self.push(Op {
            index: 0,
            time_ns,
            kind,
            process,
            f,
            key,
            value,
            error,
            node: None,
        })
    }

    /// Records `op` (whatever its `index` says, it gets the next one) and
    /// returns its index: for records with fields `record` does not take,
    /// such as the node that served a completion.
    pub fn push(&mut self, mut op: Op) -> u64 {
        let index = self.history.ops.len() as u64;
        op.index = index;
        self.stream(&op);
        self.history.ops.push(op);
        index
    }

    fn stream(&mut self, op: &Op) {
        if self.sink_error.is_some() {
            return;
        }
        if let Some(sink) = self.sink.as_mut() {
            let written = serde_json::to_writer(&mut *sink, op)
                .map_err(io::Error::from)
                .and_then(|()| sink.write_all(b"\n"));
            if let Err(err) = written {
                self.sink_error = Some(err);
            }
        }
    }

    /// The records so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Ends recording: flushes the sink and returns the history, or the
    /// first error the sink reported.
    pub fn finish(mut self) -> io::Result<History> {
        if let Some(err) = self.sink_error.take() {
            return Err(err);
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.flush()?;
        }
        Ok(self.history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

    impl Write for SharedBuffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn streams_each_record_as_it_is_made() {
        let buffer = SharedBuffer::default();
        let mut recorder = Recorder::streaming(Box::new(buffer.clone()));
        let first = recorder.record(
            5,
            OpType::Invoke,
            Process::Client(0),
            Function::Read,
            None,
            Value::Nil,
            None,
        );
        assert_eq!(first, 0);
        assert_eq!(
            String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap(),
            "{\"index\":0,\"time_ns\":5,\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"value\":null}\n"
        );
        let history = recorder.finish().unwrap();
        assert_eq!(history.len(), 1);
    }
}
