//! Every history of Porcupine's conformance corpus gets exactly the verdict
//! its manifest expects (`testdata/porcupine/MANIFEST.tsv`: `etcd-register`
//! for `jepsen/*`, `kv` starting from "" for `kv/*`).

use checker::bench::{default_corpus_dir, load_corpus};
use checker::linearizability::{check_operations, ModelKind, Options};
use checker::Validity;

#[test]
fn every_corpus_file_gets_its_expected_verdict() {
    let files = load_corpus(&default_corpus_dir()).expect("the corpus loads");
    assert_eq!(files.len(), 108, "102 etcd logs and 6 kv files");
    let mut wrong = Vec::new();
    for file in &files {
        let options = Options::new(file.model.clone()).with_threads(2);
        let report = check_operations(&file.ops, &options).expect("corpus files are checkable");
        if report.validity != file.expected {
            wrong.push(format!(
                "{}: expected {}, got {}\n{report}",
                file.file, file.expected, report.validity
            ));
        }
        if report.validity == Validity::Invalid {
            let counterexample = report
                .counterexample()
                .expect("an invalid report explains itself");
            assert!(
                counterexample
                    .prefix
                    .iter()
                    .all(|op| op.id != counterexample.failed_op.id),
                "{}: the failed op is not part of the prefix",
                file.file
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn corpus_has_the_documented_shape() {
    let files = load_corpus(&default_corpus_dir()).expect("the corpus loads");
    let count = |group: &str, kind: ModelKind| {
        files
            .iter()
            .filter(|f| f.group() == group && f.model.kind == kind)
            .count()
    };
    assert_eq!(count("jepsen", ModelKind::EtcdRegister), 102);
    assert_eq!(count("kv", ModelKind::Kv), 6);
    let linearizable = files
        .iter()
        .filter(|f| f.expected == Validity::Valid)
        .count();
    assert_eq!(linearizable, 26, "as the corpus README says");
}
