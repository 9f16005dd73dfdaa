//! The entry and read-context encodings round-trip, and reject garbage.

use raft_rs_adapter::codec::*;
use replica::{ClientCommand, KvOp};

fn command(client: u64, seq: u64, op: KvOp) -> ClientCommand {
    ClientCommand { client, seq, op }
}

#[test]
fn commands_round_trip() {
    let long = "x".repeat(300);
    let cases = [
        command(0, 0, KvOp::Get { key: String::new() }),
        command(1, 1, KvOp::Get { key: "k0".into() }),
        command(
            7,
            300,
            KvOp::Put {
                key: "k1".into(),
                value: "7.300;".into(),
            },
        ),
        command(
            u64::MAX,
            u64::MAX,
            KvOp::Append {
                key: long.clone(),
                value: "é✓".into(),
            },
        ),
        command(
            1 << 40,
            127,
            KvOp::Cas {
                key: "k2".into(),
                expected: long,
                new: String::new(),
            },
        ),
    ];
    for case in cases {
        let data = encode_command(&case);
        assert!(!data.is_empty(), "empty data is a leader's no-op");
        assert_eq!(decode_command(&data), Ok(case.clone()), "{case:?}");
    }
}

#[test]
fn garbage_is_rejected() {
    let good = encode_command(&command(
        3,
        4,
        KvOp::Put {
            key: "a".into(),
            value: "b".into(),
        },
    ));
    let mut trailing = good.clone();
    trailing.push(0);
    let cases: [(&[u8], CodecError); 5] = [
        (&[], CodecError::Truncated),
        (&[9, 0, 0], CodecError::UnknownTag(9)),
        (&good[..good.len() - 1], CodecError::Truncated),
        (&trailing, CodecError::TrailingBytes(1)),
        (
            &[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            CodecError::VarintOverflow,
        ),
    ];
    for (data, expected) in cases {
        assert_eq!(decode_command(data), Err(expected), "{data:?}");
    }
    assert_eq!(
        decode_command(&[1, 0, 0, 2, 0x61]),
        Err(CodecError::Truncated)
    );
    assert_eq!(
        decode_command(&[1, 0, 0, 2, 0xc3, 0x28]),
        Err(CodecError::NotUtf8)
    );
}

#[test]
fn read_contexts_round_trip() {
    for (client, seq) in [(0, 0), (5, 17), (u64::MAX, 1)] {
        assert_eq!(
            decode_read_context(&encode_read_context(client, seq)),
            Some((client, seq))
        );
    }
    assert_eq!(decode_read_context(&[1, 2, 3]), None);
}
