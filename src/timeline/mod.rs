//! `timeline.html`: one self-contained page per failure (and per history
//! `check --html` reads) that shows what happened at a glance.
//!
//! The page is a template (`src/assets/timeline.html`, inline CSS and JS,
//! no network) with the data embedded as JSON; the data is built here
//! ([`data`]) from the history, the trace and the failures ([`focus`]).
//! Output is deterministic: the same trial gives the same bytes.

pub mod bands;
pub mod context;
pub mod data;
pub mod focus;
pub mod lanes;

use crate::trial::TrialResult;
pub use data::{timeline_data, Sources, TimelineData};
pub use focus::Failure;

/// The page template; `/*TIMELINE-DATA*/null` is replaced by the data.
const TEMPLATE: &str = include_str!("../assets/timeline.html");
const PLACEHOLDER: &str = "/*TIMELINE-DATA*/null";

/// The page for `data`.
pub fn render(data: &TimelineData) -> String {
    let json = serde_json::to_string(data).expect("timeline data serializes");
    // Inside <script>, "</" could close the element; "<\/" is the same JSON.
    let json = json.replace("</", "<\\/");
    TEMPLATE.replacen(PLACEHOLDER, &json, 1)
}

/// The data of a checked trial's timeline.
pub fn trial_data(result: &TrialResult) -> TimelineData {
    let spec = &result.spec;
    let history = &result.output.history;
    let operations = history
        .operations()
        .expect("the world records histories that pair");
    let failures = focus::trial_failures(result);
    let world = &spec.config.world;
    let subtitle = vec![
        format!(
            "{} {} nodes, {} clients, read mode {}, bugs: {}",
            world.cluster.cluster_size,
            spec.config.system.name(),
            world.clients.count,
            world.cluster.read_mode,
            spec.config.system.bug_names().join(", ")
        ),
        format!("fault kinds: {}", spec.schedule.kinds),
    ];
    timeline_data(&Sources {
        title: format!("raftstorm trial {}: {}", spec.seed, result.verdict.validity),
        subtitle,
        history,
        operations: &operations,
        trace: Some((&result.output.trace, world.cluster.cluster_size)),
        failures: &failures,
    })
}

/// The page of a history `raftstorm check` read from `path`: operations,
/// nemesis bands and the linearizability failure (no trace, so no node
/// lanes).
pub fn check_page(
    path: &std::path::Path,
    history: &histories::History,
    operations: &[histories::Operation],
    report: &checker::linearizability::Report,
) -> String {
    let failures: Vec<Failure> = focus::linearizability_failure(report).into_iter().collect();
    let data = timeline_data(&Sources {
        title: format!("{}: {}", path.display(), report.validity),
        subtitle: vec![format!(
            "model {}, {} keys",
            report.model,
            report.keys.len()
        )],
        history,
        operations,
        trace: None,
        failures: &failures,
    });
    render(&data)
}

/// The page of a checked trial.
pub fn trial_page(result: &TrialResult) -> String {
    render(&trial_data(result))
}
