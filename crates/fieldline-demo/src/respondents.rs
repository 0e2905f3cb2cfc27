//! The people the demo's enumerators interview: deterministic answers to safe_migration_kap
//! that look like a real campaign's. Knowledge is low at baseline and clearly higher at endline;
//! it differs between villages (so the clustered design has a design effect above 1), between
//! women and men, with schooling and with age. Every answer meets the form's constraints and
//! relevance, so `fieldline device fill` finalizes each interview.

/// The two survey rounds the demo campaign publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Round {
    Baseline,
    Endline,
}

impl Round {
    /// The round's name on the server (what `fieldline device fill --round` takes).
    pub fn name(self) -> &'static str {
        match self {
            Round::Baseline => "baseline",
            Round::Endline => "endline",
        }
    }

    /// Mixed into the seed of everything drawn for the round, so the rounds draw differently.
    pub(crate) fn tag(self) -> u64 {
        match self {
            Round::Baseline => 1,
            Round::Endline => 2,
        }
    }
}

/// A village the survey samples: a ward of a municipality, the design's cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Village {
    pub province: &'static str,
    pub municipality: &'static str,
    /// Ward numbers differ between the demo's municipalities, so `ward` alone names the village
    /// and the report can use it as the cluster column.
    pub ward: u32,
}

/// The 24 villages: 4 municipalities of the form's 2 provinces, 6 wards each, listed
/// municipality by municipality (so a device given a run of them works one area).
pub fn villages() -> Vec<Village> {
    const AREAS: [(&str, &str, [u32; 6]); 4] = [
        ("koshi", "biratnagar", [2, 5, 7, 11, 14, 19]),
        ("koshi", "dharan", [3, 8, 10, 13, 16, 20]),
        ("madhesh", "janakpur", [1, 4, 9, 12, 17, 22]),
        ("madhesh", "birgunj", [6, 15, 18, 21, 25, 31]),
    ];
    AREAS
        .iter()
        .flat_map(|&(province, municipality, wards)| {
            wards.map(|ward| Village {
                province,
                municipality,
                ward,
            })
        })
        .collect()
}

/// splitmix64: a small, well-mixed generator, so the same seed gives the same campaign on every
/// machine without a dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one part of the campaign (a village, an interview), independent of the
    /// order the parts are generated in.
    pub fn derived(seed: u64, parts: &[u64]) -> Self {
        let mut rng = Self::new(seed);
        for &part in parts {
            rng = Self::new(rng.next_u64() ^ part);
        }
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// One of `items`, each with its weight.
    pub fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut at = self.unit() * total;
        for (item, weight) in items {
            if at < *weight {
                return item;
            }
            at -= weight;
        }
        &items[items.len() - 1].0
    }

    /// An index below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// How far the campaign reached a village: its people's knowledge before the campaign, on the
/// log-odds scale, and how much more the radio drama added there.
struct VillageReach {
    before: f64,
    added: f64,
}

fn village_reach(seed: u64, village: &Village) -> VillageReach {
    let mut rng = SplitMix64::derived(seed, &[0x5649_4C4C, u64::from(village.ward)]);
    VillageReach {
        before: 0.9 * rng.normal(),
        added: 0.6 * rng.normal(),
    }
}

/// Log-odds of each knowledge item for a typical respondent, at baseline and at endline.
struct Intercepts {
    heard: f64,
    hotline: f64,
    checks_agency: f64,
    rejects_debt: f64,
}

fn intercepts(round: Round) -> Intercepts {
    match round {
        Round::Baseline => Intercepts {
            heard: -1.1,
            hotline: -1.2,
            checks_agency: -1.5,
            rejects_debt: -1.3,
        },
        Round::Endline => Intercepts {
            heard: 1.7,
            hotline: 1.0,
            checks_agency: 0.6,
            rejects_debt: 0.9,
        },
    }
}

/// One generated interview: where it took place and the answers in the order an enumerator
/// gives them (`[key, value]`, a key being a question name or an instance path).
#[derive(Debug, Clone, PartialEq)]
pub struct Interview {
    pub village: Village,
    pub consented: bool,
    pub answers: Vec<(String, String)>,
}

impl Interview {
    /// The answers as `fieldline device fill --answers` reads them.
    pub fn answers_json(&self) -> String {
        serde_json::Value::from(
            self.answers
                .iter()
                .map(|(key, value)| serde_json::json!([key, value]))
                .collect::<Vec<_>>(),
        )
        .to_string()
    }

    /// The answer to `key` (as written in [`Interview::answers`]).
    pub fn answer(&self, key: &str) -> Option<&str> {
        self.answers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Share of people who decline the interview.
const REFUSAL_RATE: f64 = 0.03;

/// The `index`th interview of `round` in `village`; the same arguments always give the same
/// interview.
pub fn interview(seed: u64, round: Round, index: u64, village: Village) -> Interview {
    let mut rng = SplitMix64::derived(seed, &[round.tag(), index]);
    let mut answers: Vec<(String, String)> = Vec::new();
    let mut say = |key: &str, value: &str| answers.push((key.to_owned(), value.to_owned()));
    say("province", village.province);
    say("municipality", village.municipality);
    say("ward", &village.ward.to_string());
    if rng.chance(REFUSAL_RATE) {
        // Declining ends the interview: every later group is relevant only with consent.
        say("consent", "no");
        return Interview {
            village,
            consented: false,
            answers,
        };
    }
    say("consent", "yes");

    let gender = *rng.pick(&[("woman", 0.52), ("man", 0.47), ("other", 0.01)]);
    // Adults 18 to 70, more of them young, as in villages that send people abroad.
    let age = 18 + (rng.unit().powf(1.5) * 53.0) as u32;
    let older = age >= 45;
    let education = *rng.pick(&[
        ("none", if older { 0.40 } else { 0.15 }),
        ("primary", 0.35),
        ("secondary", if older { 0.18 } else { 0.36 }),
        ("higher", if older { 0.07 } else { 0.14 }),
    ]);
    say("/data/about/gender", gender);
    say("/data/about/age", &age.to_string());
    say("/data/about/education", education);

    // Everything that moves a person's knowledge, shared by the four items so that someone who
    // has heard of trafficking is also likelier to know the hotline.
    let reach = village_reach(seed, &village);
    let person = reach.before
        + if round == Round::Endline {
            reach.added
        } else {
            0.0
        }
        + match gender {
            "woman" => -0.4,
            "man" => 0.4,
            _ => 0.0,
        }
        + match education {
            "none" => -0.5,
            "primary" => -0.15,
            "secondary" => 0.2,
            _ => 0.6,
        }
        + if age <= 29 { 0.3 } else { 0.0 }
        + 0.6 * rng.normal();
    let base = intercepts(round);

    let heard = rng.chance(sigmoid(base.heard + person));
    let heard_answer = if heard {
        "yes"
    } else if rng.chance(0.25) {
        "dont_know"
    } else {
        "no"
    };
    say("/data/know/heard_trafficking", heard_answer);
    if heard {
        let channels = heard_channels(&mut rng, round, age);
        if channels.contains(&"other") {
            let other = *rng.pick(&[
                ("Community meeting", 1.0),
                ("A neighbour who came back from abroad", 1.0),
                ("Notice at the health post", 1.0),
            ]);
            say("/data/know/channels", &channels.join(" "));
            say("/data/know/channels_other", other);
        } else {
            say("/data/know/channels", &channels.join(" "));
        }
    }

    // Few people know a hotline who have never heard of trafficking.
    let knows_hotline = rng.chance(sigmoid(
        base.hotline + person - if heard { 0.0 } else { 1.2 },
    ));
    if knows_hotline {
        say("/data/know/knows_hotline", "yes");
        let number = *rng.pick(&[("1145", 0.65), ("100", 0.2), ("1098", 0.1), ("16600", 0.05)]);
        say("/data/know/hotline", number);
    } else {
        let answer = if rng.chance(0.3) { "dont_know" } else { "no" };
        say("/data/know/knows_hotline", answer);
    }

    let checks_agency = sigmoid(base.checks_agency + person);
    let mut practices = Vec::new();
    if rng.chance(checks_agency) {
        practices.push("check_agency");
    }
    if rng.chance(sigmoid(base.checks_agency + person + 0.3)) {
        practices.push("read_contract");
    }
    if rng.chance(0.35) {
        practices.push("tell_family");
    }
    if practices.is_empty() {
        practices.push("nothing");
    }
    say("/data/know/before_leaving", &practices.join(" "));

    let view_debt = if rng.chance(sigmoid(base.rejects_debt + person)) {
        *rng.pick(&[("1", 0.4), ("2", 0.6)])
    } else {
        *rng.pick(&[("3", 0.3), ("4", 0.45), ("5", 0.25)])
    };
    say("/data/views/view_debt", view_debt);
    let view_report = if rng.chance(sigmoid(base.heard + person + 0.4)) {
        *rng.pick(&[("4", 0.55), ("5", 0.45)])
    } else {
        *rng.pick(&[("1", 0.2), ("2", 0.35), ("3", 0.45)])
    };
    say("/data/views/view_report", view_report);

    // The repeat starts with one household member abroad; some households have more.
    let abroad = 1 + usize::from(rng.chance(0.35)) + usize::from(rng.chance(0.1));
    for member in 1..=abroad {
        let relation = *rng.pick(&[
            ("brother", 0.25),
            ("sister", 0.12),
            (if gender == "woman" { "husband" } else { "wife" }, 0.2),
            ("son", 0.18),
            ("daughter", 0.1),
            ("cousin", 0.08),
            ("father", 0.07),
        ]);
        let country = *rng.pick(&[
            ("qatar", 0.3),
            ("malaysia", 0.25),
            ("uae", 0.2),
            ("india", 0.15),
            ("other", 0.1),
        ]);
        let contract = if rng.chance(0.55) { "yes" } else { "no" };
        say(&format!("/data/migrants[{member}]/m_relation"), relation);
        say(&format!("/data/migrants[{member}]/m_country"), country);
        say(&format!("/data/migrants[{member}]/m_contract"), contract);
    }
    Interview {
        village,
        consented: true,
        answers,
    }
}

/// Where someone who has heard of trafficking heard of it: the radio drama dominates at endline.
fn heard_channels(rng: &mut SplitMix64, round: Round, age: u32) -> Vec<&'static str> {
    let endline = round == Round::Endline;
    let young = age <= 29;
    let mut channels = Vec::new();
    for (channel, p) in [
        ("radio", if endline { 0.8 } else { 0.35 }),
        ("street_drama", if endline { 0.35 } else { 0.12 }),
        ("school", if young { 0.35 } else { 0.1 }),
        ("social_media", if young { 0.5 } else { 0.15 }),
        ("other", 0.05),
    ] {
        if rng.chance(p) {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        // "Don't know" stands alone (the form's constraint).
        channels.push("dont_know");
    }
    channels
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Share of consenting interviews with `holds`.
    fn share(interviews: &[Interview], holds: impl Fn(&Interview) -> bool) -> f64 {
        let consenting: Vec<_> = interviews.iter().filter(|i| i.consented).collect();
        consenting.iter().filter(|i| holds(i)).count() as f64 / consenting.len() as f64
    }

    fn round_of(round: Round, n: u64) -> Vec<Interview> {
        let villages = villages();
        (0..n)
            .map(|i| interview(7, round, i, villages[i as usize % villages.len()]))
            .collect()
    }

    fn heard(i: &Interview) -> bool {
        i.answer("/data/know/heard_trafficking") == Some("yes")
    }

    fn knows_hotline(i: &Interview) -> bool {
        i.answer("/data/know/knows_hotline") == Some("yes")
    }

    fn checks_agency(i: &Interview) -> bool {
        i.answer("/data/know/before_leaving")
            .is_some_and(|v| v.split(' ').any(|c| c == "check_agency"))
    }

    fn rejects_debt(i: &Interview) -> bool {
        matches!(i.answer("/data/views/view_debt"), Some("1" | "2"))
    }

    #[test]
    fn the_villages_are_24_wards_with_distinct_numbers_the_form_accepts() {
        let villages = villages();
        assert_eq!(villages.len(), 24);
        let mut wards: Vec<_> = villages.iter().map(|v| v.ward).collect();
        wards.sort_unstable();
        wards.dedup();
        assert_eq!(wards.len(), 24);
        assert!(wards.iter().all(|w| (1..=35).contains(w)));
    }

    #[test]
    fn knowledge_is_low_at_baseline_and_clearly_higher_at_endline() {
        let baseline = round_of(Round::Baseline, 4000);
        let endline = round_of(Round::Endline, 4000);
        let mut outside = Vec::new();
        for (name, holds) in [
            ("heard_trafficking", heard as fn(&Interview) -> bool),
            ("knows_hotline", knows_hotline),
            ("checks_agency", checks_agency),
            ("rejects_debt_work", rejects_debt),
        ] {
            let before = share(&baseline, holds);
            let after = share(&endline, holds);
            if !(0.15..=0.35).contains(&before) || !(0.55..=0.9).contains(&after) {
                outside.push(format!("{name}: {before:.2} -> {after:.2}"));
            }
        }
        assert!(outside.is_empty(), "{}", outside.join("; "));
    }

    #[test]
    fn women_know_less_than_men_in_both_rounds() {
        for round in [Round::Baseline, Round::Endline] {
            let interviews = round_of(round, 4000);
            let by = |gender: &str| {
                let group: Vec<_> = interviews
                    .iter()
                    .filter(|i| i.answer("/data/about/gender") == Some(gender))
                    .cloned()
                    .collect();
                share(&group, heard)
            };
            assert!(by("man") - by("woman") > 0.08, "{round:?}");
        }
    }

    #[test]
    fn a_few_percent_refuse_and_their_interview_ends_at_consent() {
        let interviews = round_of(Round::Baseline, 4000);
        let refused: Vec<_> = interviews.iter().filter(|i| !i.consented).collect();
        let rate = refused.len() as f64 / interviews.len() as f64;
        assert!((0.01..=0.06).contains(&rate), "{rate}");
        for i in refused {
            assert_eq!(
                i.answers.last().map(|(k, v)| (k.as_str(), v.as_str())),
                Some(("consent", "no"))
            );
        }
    }

    #[test]
    fn answers_meet_the_forms_constraints() {
        for round in [Round::Baseline, Round::Endline] {
            for i in round_of(round, 2000).iter().filter(|i| i.consented) {
                let age: u32 = i.answer("/data/about/age").unwrap().parse().unwrap();
                assert!((18..=70).contains(&age));
                let channels = i.answer("/data/know/channels");
                assert_eq!(channels.is_some(), heard(i));
                if let Some(channels) = channels {
                    let list: Vec<_> = channels.split(' ').collect();
                    assert!(!list.contains(&"dont_know") || list.len() == 1);
                    assert_eq!(
                        list.contains(&"other"),
                        i.answer("/data/know/channels_other").is_some()
                    );
                }
                let hotline = i.answer("/data/know/hotline");
                assert_eq!(hotline.is_some(), knows_hotline(i));
                assert!(hotline.is_none_or(|h| (3..=6).contains(&h.len())));
                assert!(i.answer("/data/migrants[1]/m_contract").is_some());
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_interview() {
        let village = villages()[5];
        assert_eq!(
            interview(42, Round::Endline, 17, village),
            interview(42, Round::Endline, 17, village)
        );
        assert_ne!(
            interview(42, Round::Endline, 17, village).answers,
            interview(43, Round::Endline, 17, village).answers
        );
    }
}
