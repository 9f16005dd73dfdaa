//! Planted bugs, for any system: a system names its bugs (an enum
//! implementing [`PlantedBug`]) and gets a set of them ([`BugSet`]) that
//! parses from the command line and reads and writes JSON as a list of
//! names — the same for raft-core, the raft-rs adapter and a user's Raft.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// A system's planted bug: a named switch that breaks one rule.
pub trait PlantedBug: Copy + Eq + fmt::Debug + 'static {
    /// Whose bugs these are, for messages ("raft-core", "raft-rs adapter").
    const SYSTEM: &'static str;
    /// Every bug, in a stable order (at most 64).
    const ALL: &'static [Self];
    /// The stable kebab-case name used on the command line and in JSON.
    fn name(self) -> &'static str;
    /// One line saying what rule the bug breaks.
    fn description(self) -> &'static str;
    /// Why a correct design of the rest of the system makes this bug
    /// unreachable, when it does: `raftstorm mutants` then expects it never
    /// to be caught (and fails if it is, since the argument was wrong).
    fn unreachable(self) -> Option<&'static str> {
        None
    }
    /// Its position in [`PlantedBug::ALL`] (override with `self as usize`
    /// for a fieldless enum listed in declaration order: `has` is on hot
    /// paths).
    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|known| *known == self)
            .expect("every bug is in ALL")
    }
}

/// The error for a name that is not one of a system's planted bugs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBug {
    /// The name given.
    pub name: String,
    /// Whose bugs were asked for.
    pub system: &'static str,
    /// The names there are.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} bug '{}'; expected one of: {}",
            self.system,
            self.name,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownBug {}

/// The bug of system `B` called `name`.
pub fn parse_bug<B: PlantedBug>(name: &str) -> Result<B, UnknownBug> {
    B::ALL
        .iter()
        .copied()
        .find(|bug| bug.name() == name)
        .ok_or_else(|| UnknownBug {
            name: name.to_string(),
            system: B::SYSTEM,
            known: B::ALL.iter().map(|bug| bug.name()).collect(),
        })
}

/// Writes a bug as its name.
pub fn serialize_bug<B: PlantedBug, S: Serializer>(
    bug: &B,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(bug.name())
}

/// Reads a bug from its name.
pub fn deserialize_bug<'de, B: PlantedBug, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<B, D::Error> {
    let name = String::deserialize(deserializer)?;
    parse_bug(&name).map_err(serde::de::Error::custom)
}

/// Implements [`PlantedBug`], `Display`, `FromStr` and serde (by name) for
/// a fieldless bug enum that has an inherent `ALL` array in declaration
/// order and inherent `name`, `description` and `unreachable`: every system's bug enum
/// needs the same delegations, written once here.
#[macro_export]
macro_rules! planted_bugs {
    ($bug:ty, $system:expr) => {
        impl $crate::PlantedBug for $bug {
            const SYSTEM: &'static str = $system;
            const ALL: &'static [$bug] = &<$bug>::ALL;

            fn name(self) -> &'static str {
                <$bug>::name(self)
            }

            fn description(self) -> &'static str {
                <$bug>::description(self)
            }

            fn index(self) -> usize {
                self as usize
            }

            fn unreachable(self) -> Option<&'static str> {
                <$bug>::unreachable(self)
            }
        }

        impl ::std::fmt::Display for $bug {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(<$bug>::name(*self))
            }
        }

        impl ::std::str::FromStr for $bug {
            type Err = $crate::UnknownBug;

            fn from_str(name: &str) -> ::std::result::Result<$bug, $crate::UnknownBug> {
                $crate::planted::parse_bug(name)
            }
        }

        impl ::serde::Serialize for $bug {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::planted::serialize_bug(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $bug {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<$bug, D::Error> {
                $crate::planted::deserialize_bug(deserializer)
            }
        }
    };
}

/// A set of planted bugs of system `B`; empty by default. In JSON it is the
/// list of names, in `B::ALL` order; on the command line a comma-separated
/// list (or `none`).
pub struct BugSet<B> {
    bits: u64,
    bugs: PhantomData<B>,
}

impl<B: PlantedBug> BugSet<B> {
    /// No bugs: the system as its authors meant it.
    pub const NONE: BugSet<B> = BugSet {
        bits: 0,
        bugs: PhantomData,
    };

    #[inline]
    fn bit(bug: B) -> u64 {
        1 << bug.index()
    }

    /// The set holding just `bug`.
    pub fn only(bug: B) -> BugSet<B> {
        let mut set = BugSet::NONE;
        set.insert(bug);
        set
    }

    /// True when `bug` is switched on.
    #[inline]
    pub fn has(self, bug: B) -> bool {
        self.bits != 0 && self.bits & BugSet::bit(bug) != 0
    }

    /// Switches `bug` on.
    pub fn insert(&mut self, bug: B) {
        self.bits |= BugSet::bit(bug);
    }

    /// True when no bug is on.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The bugs switched on, in `B::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = B> {
        B::ALL.iter().copied().filter(move |bug| self.has(*bug))
    }
}

impl<B> Clone for BugSet<B> {
    fn clone(&self) -> BugSet<B> {
        *self
    }
}

impl<B> Copy for BugSet<B> {}

impl<B> Default for BugSet<B> {
    fn default() -> BugSet<B> {
        BugSet {
            bits: 0,
            bugs: PhantomData,
        }
    }
}

impl<B> PartialEq for BugSet<B> {
    fn eq(&self, other: &BugSet<B>) -> bool {
        self.bits == other.bits
    }
}

impl<B> Eq for BugSet<B> {}

impl<B> Hash for BugSet<B> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<B: PlantedBug> fmt::Debug for BugSet<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|bug| bug.name()))
            .finish()
    }
}

impl<B: PlantedBug> FromIterator<B> for BugSet<B> {
    fn from_iter<I: IntoIterator<Item = B>>(bugs: I) -> BugSet<B> {
        let mut set = BugSet::NONE;
        for bug in bugs {
            set.insert(bug);
        }
        set
    }
}

impl<B: PlantedBug> std::str::FromStr for BugSet<B> {
    type Err = UnknownBug;

    /// A comma-separated list of names; empty or `none` for no bugs.
    fn from_str(list: &str) -> Result<BugSet<B>, UnknownBug> {
        match list.trim() {
            "" | "none" => Ok(BugSet::NONE),
            list => list.split(',').map(|name| parse_bug(name.trim())).collect(),
        }
    }
}

impl<B: PlantedBug> Serialize for BugSet<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|bug| bug.name()))
    }
}

impl<'de, B: PlantedBug> Deserialize<'de> for BugSet<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BugSet<B>, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        names
            .iter()
            .map(|name| parse_bug(name))
            .collect::<Result<BugSet<B>, UnknownBug>>()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Toy {
        Early,
        Late,
    }

    impl PlantedBug for Toy {
        const SYSTEM: &'static str = "toy";
        const ALL: &'static [Toy] = &[Toy::Early, Toy::Late];
        fn name(self) -> &'static str {
            match self {
                Toy::Early => "early",
                Toy::Late => "late",
            }
        }
        fn description(self) -> &'static str {
            "a toy"
        }
    }

    #[test]
    fn sets_parse_print_and_read_back_in_declaration_order() {
        let set: BugSet<Toy> = "late, early".parse().unwrap();
        assert!(set.has(Toy::Early) && set.has(Toy::Late));
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["early","late"]"#);
        let back: BugSet<Toy> = serde_json::from_str(r#"["late"]"#).unwrap();
        assert_eq!(back, BugSet::only(Toy::Late));
        assert_eq!("none".parse::<BugSet<Toy>>().unwrap(), BugSet::NONE);
        let err = "middle".parse::<BugSet<Toy>>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown toy bug 'middle'; expected one of: early, late"
        );
        assert!(serde_json::from_str::<BugSet<Toy>>(r#"["middle"]"#).is_err());
    }
}
