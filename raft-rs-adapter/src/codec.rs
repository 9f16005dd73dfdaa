//! The bytes of our log entries and read contexts.
//!
//! An entry's `data` holds one [`ClientCommand`]; an entry with empty data
//! is what a raft-rs leader appends when it takes office (its no-op,
//! Raft §8), so a command never encodes to nothing. The format is small
//! and private to the adapter: a tag byte for the operation, the session
//! and sequence number as LEB128 varints, then each string as a varint
//! length and its UTF-8 bytes.
//!
//! A read context (the `rctx` of `RawNode::read_index`, echoed in its
//! `ReadState`) names the request it belongs to: client and sequence
//! number as two little-endian u64s.

use replica::{ClientCommand, KvOp};
use std::fmt;

const TAG_GET: u8 = 1;
const TAG_PUT: u8 = 2;
const TAG_APPEND: u8 = 3;
const TAG_CAS: u8 = 4;

/// Why bytes are not a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The data ended inside a field.
    Truncated,
    /// The first byte names no operation.
    UnknownTag(u8),
    /// A string is not UTF-8.
    NotUtf8,
    /// A varint runs past 64 bits.
    VarintOverflow,
    /// Bytes are left after the command.
    TrailingBytes(usize),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Truncated => f.write_str("entry data ends inside a field"),
            CodecError::UnknownTag(tag) => write!(f, "unknown operation tag {tag}"),
            CodecError::NotUtf8 => f.write_str("a string is not UTF-8"),
            CodecError::VarintOverflow => f.write_str("a varint runs past 64 bits"),
            CodecError::TrailingBytes(n) => write!(f, "{n} bytes after the command"),
        }
    }
}

impl std::error::Error for CodecError {}

/// The entry data of `command`: never empty (empty data is a no-op).
pub fn encode_command(command: &ClientCommand) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    let strings: &[&str] = match &command.op {
        KvOp::Get { key } => {
            out.push(TAG_GET);
            &[key]
        }
        KvOp::Put { key, value } => {
            out.push(TAG_PUT);
            &[key, value]
        }
        KvOp::Append { key, value } => {
            out.push(TAG_APPEND);
            &[key, value]
        }
        KvOp::Cas { key, expected, new } => {
            out.push(TAG_CAS);
            &[key, expected, new]
        }
    };
    put_varint(&mut out, command.client);
    put_varint(&mut out, command.seq);
    for string in strings {
        put_varint(&mut out, string.len() as u64);
        out.extend_from_slice(string.as_bytes());
    }
    out
}

/// The command in entry data written by [`encode_command`].
pub fn decode_command(data: &[u8]) -> Result<ClientCommand, CodecError> {
    let (&tag, rest) = data.split_first().ok_or(CodecError::Truncated)?;
    let mut reader = Reader { rest };
    let client = reader.varint()?;
    let seq = reader.varint()?;
    let op = match tag {
        TAG_GET => KvOp::Get {
            key: reader.string()?,
        },
        TAG_PUT => KvOp::Put {
            key: reader.string()?,
            value: reader.string()?,
        },
        TAG_APPEND => KvOp::Append {
            key: reader.string()?,
            value: reader.string()?,
        },
        TAG_CAS => KvOp::Cas {
            key: reader.string()?,
            expected: reader.string()?,
            new: reader.string()?,
        },
        other => return Err(CodecError::UnknownTag(other)),
    };
    if !reader.rest.is_empty() {
        return Err(CodecError::TrailingBytes(reader.rest.len()));
    }
    Ok(ClientCommand { client, seq, op })
}

/// The read context of request `seq` of session `client`.
pub fn encode_read_context(client: u64, seq: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&client.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out
}

/// The (client, seq) of a read context, if it is one of ours.
pub fn decode_read_context(context: &[u8]) -> Option<(u64, u64)> {
    let (client, seq) = context.split_at_checked(8)?;
    Some((
        u64::from_le_bytes(client.try_into().ok()?),
        u64::from_le_bytes(seq.try_into().ok()?),
    ))
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first().ok_or(CodecError::Truncated)?;
            self.rest = rest;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(CodecError::VarintOverflow);
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CodecError::VarintOverflow)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let len = usize::try_from(self.varint()?).map_err(|_| CodecError::Truncated)?;
        if self.rest.len() < len {
            return Err(CodecError::Truncated);
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::NotUtf8)
    }
}
