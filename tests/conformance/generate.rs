//! Answer sequences for one form, random but reproducible: sequence `index` of a form always comes
//! from the seed `seed_of(form, index)`, whatever the number of sequences or the machine. They mix
//! plausible interviews (in document order, repeat instance by instance) with late changes to the
//! questions relevance depends on, empty, out-of-range and wrongly typed values, constraint
//! boundaries taken from the form's own expressions, unknown choices, repeat instances added
//! through paths such as `/data/hh[3]/age`, answers given twice, and keys that name nothing.

use super::{
    engines::Answers,
    xform::{Kind, Question, XForm},
};

/// splitmix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The seed of sequence `index` of the form whose XLSForm is named `form`.
pub fn seed_of(form: &str, index: usize) -> u64 {
    // FNV-1a of the name, so adding a form does not change the other forms' sequences.
    let hash = form.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[derive(Clone, Copy)]
enum Class {
    Good,
    Edge,
    Bad,
}

/// Sequence 0 is the empty one (defaults and initial state); 1 answers every question plausibly.
pub fn sequence(form: &XForm, name: &str, index: usize, max_answers: usize) -> Answers {
    let mut rng = Rng::new(seed_of(name, index));
    let mut out = Answers::new();
    match index {
        0 => {}
        1 => interview(form, &mut rng, 1.0, max_answers, &mut out),
        _ if rng.chance(0.6) => {
            let coverage = 0.5 + rng.below(50) as f64 / 100.0;
            interview(form, &mut rng, coverage, max_answers, &mut out);
            revise(form, &mut rng, &mut out);
        }
        _ => chaos(form, &mut rng, max_answers, &mut out),
    }
    out.truncate(max_answers);
    out
}

/// Answers questions in document order with values the form should take; each repeat the user
/// controls gets 0-3 instances, filled one instance at a time.
fn interview(form: &XForm, rng: &mut Rng, coverage: f64, max: usize, out: &mut Answers) {
    let counts: Vec<usize> = form
        .repeats
        .iter()
        .map(|r| if r.counted { 1 } else { rng.below(4) })
        .collect();
    let mut i = 0;
    while i < form.questions.len() && out.len() < max {
        let q = &form.questions[i];
        let Some(&outer) = q.repeats.first() else {
            if rng.chance(coverage) {
                let value = value(q, rng, Class::Good);
                out.push((key(form, q, &[], rng), value));
            }
            i += 1;
            continue;
        };
        // The block of questions inside this outermost repeat, filled instance by instance.
        let end = (i..form.questions.len())
            .find(|&j| form.questions[j].repeats.first() != Some(&outer))
            .unwrap_or(form.questions.len());
        for position in 1..=counts[outer] {
            for q in &form.questions[i..end] {
                let inner: Vec<usize> = q.repeats[1..].iter().map(|&r| counts[r].max(1)).collect();
                let mut positions = vec![position];
                positions.extend(inner.iter().map(|&n| 1 + rng.below(n)));
                if rng.chance(coverage) {
                    let value = value(q, rng, Class::Good);
                    out.push((key(form, q, &positions, rng), value));
                }
            }
        }
        i = end;
    }
}

/// Late changes: re-answers questions that relevance depends on (hiding or showing answers already
/// given), clears some, and answers some twice in a row.
fn revise(form: &XForm, rng: &mut Rng, out: &mut Answers) {
    let gates: Vec<&Question> = form.questions.iter().filter(|q| q.gate).collect();
    for _ in 0..1 + rng.below(5) {
        let q = match gates.is_empty() || rng.chance(0.3) {
            true => match form.questions.get(rng.below(form.questions.len())) {
                Some(q) => q,
                None => return,
            },
            false => gates[rng.below(gates.len())],
        };
        let positions = random_positions(form, q, rng);
        let class = if rng.chance(0.7) {
            Class::Good
        } else {
            Class::Edge
        };
        let key = key(form, q, &positions, rng);
        if rng.chance(0.2) {
            out.push((key.clone(), value(q, rng, Class::Good)));
        }
        out.push((key, value(q, rng, class)));
    }
}

/// Any question in any order, with any kind of value, and now and then a key that is not a question.
fn chaos(form: &XForm, rng: &mut Rng, max: usize, out: &mut Answers) {
    let length = 1 + rng.below(max.min(2 * form.questions.len() + 4));
    for _ in 0..length {
        if rng.chance(0.03) && !form.others.is_empty() {
            // A calculate, note or meta leaf: not settable, both engines must say so.
            let path = &form.others[rng.below(form.others.len())];
            out.push((path.clone(), "1".to_owned()));
            continue;
        }
        if rng.chance(0.02) || form.questions.is_empty() {
            let key = match rng.below(3) {
                0 => "no_such_question".to_owned(),
                1 => format!("/{}/nowhere", form.root),
                _ => format!("/{}//bad", form.root),
            };
            out.push((key, "x".to_owned()));
            continue;
        }
        let q = &form.questions[rng.below(form.questions.len())];
        let class = match rng.below(20) {
            0..=10 => Class::Good,
            11..=16 => Class::Edge,
            _ => Class::Bad,
        };
        let positions = random_positions(form, q, rng);
        let value = value(q, rng, class);
        out.push((key(form, q, &positions, rng), value));
    }
}

fn random_positions(form: &XForm, q: &Question, rng: &mut Rng) -> Vec<usize> {
    q.repeats
        .iter()
        .map(|&r| match form.repeats[r].counted {
            // Past a jr:count is an error both engines must report; rarely worth a try.
            true if rng.chance(0.9) => 1,
            _ => 1 + rng.below(3),
        })
        .collect()
}

/// A name when it is the first leaf of that name, else the path with repeat positions (`[1]`
/// sometimes left out, which means the first instance).
fn key(form: &XForm, q: &Question, positions: &[usize], rng: &mut Rng) -> String {
    if q.repeats.is_empty() && q.first_of_name && rng.chance(0.4) {
        return q.name.clone();
    }
    let mut path = String::new();
    for step in q.path.split('/').skip(1) {
        path.push('/');
        path.push_str(step);
        let repeat = q.repeats.iter().position(|&r| form.repeats[r].path == path);
        if let Some(level) = repeat {
            let position = positions.get(level).copied().unwrap_or(1);
            if position != 1 || rng.chance(0.7) {
                path.push_str(&format!("[{position}]"));
            }
        }
    }
    path
}

fn numbers(q: &Question) -> Vec<f64> {
    q.literals.iter().filter_map(|l| l.parse().ok()).collect()
}

fn value(q: &Question, rng: &mut Rng, class: Class) -> String {
    let strings: Vec<&str> = q
        .literals
        .iter()
        .map(String::as_str)
        .filter(|l| l.parse::<f64>().is_err())
        .collect();
    let choices: Vec<&str> = q.choices.iter().map(String::as_str).collect();
    let any_choice = |rng: &mut Rng| match choices.is_empty() {
        true if !strings.is_empty() => rng.pick(&strings).to_owned(),
        true => "a".to_owned(),
        false => rng.pick(&choices).to_owned(),
    };
    match (q.kind, class) {
        (Kind::Trigger, Class::Good) => "OK".into(),
        (Kind::Trigger, Class::Edge) => "".into(),
        (Kind::Trigger, Class::Bad) => rng.pick(&["yes", "ok", "1"]).into(),
        (Kind::Upload, Class::Bad) => rng.pick(&["", "photo one.jpg"]).into(),
        (Kind::Upload, _) => rng.pick(&["photo.jpg", "", "recording.m4a"]).into(),
        (Kind::Select1, Class::Good) => any_choice(rng),
        (Kind::Select1, Class::Edge) => match rng.below(3) {
            0 => "".into(),
            1 => format!(" {} ", any_choice(rng)),
            _ => any_choice(rng),
        },
        (Kind::Select1, Class::Bad) => match rng.below(2) {
            0 => "zz_unknown".into(),
            _ => format!("{} {}", any_choice(rng), any_choice(rng)),
        },
        (Kind::Select | Kind::Rank, class) => {
            let mut picked: Vec<String> = (0..1 + rng.below(3)).map(|_| any_choice(rng)).collect();
            if matches!(q.kind, Kind::Rank) && matches!(class, Class::Good) {
                picked = choices.iter().map(|c| c.to_string()).collect();
                let n = picked.len();
                for i in (1..n).rev() {
                    picked.swap(i, rng.below(i + 1));
                }
            }
            match class {
                Class::Good => picked.join(" "),
                Class::Edge if rng.chance(0.3) => "".into(),
                Class::Edge => format!("{}  {}", picked.join(" "), picked[0]),
                Class::Bad => format!("{} zz_unknown", picked.join(" ")),
            }
        }
        (Kind::Input | Kind::Range, _) if q.counts_repeat => {
            // Not 2147483647: both engines would try to build that many repeat instances.
            rng.pick(&["0", "1", "2", "3", "-1", "", "abc", "2.5"])
                .into()
        }
        (Kind::Input | Kind::Range, class) => {
            typed(&q.data_type, &numbers(q), &strings, rng, class)
        }
    }
}

fn typed(
    data_type: &str,
    numbers: &[f64],
    strings: &[&str],
    rng: &mut Rng,
    class: Class,
) -> String {
    let near = |rng: &mut Rng, step: f64| -> Option<f64> {
        if numbers.is_empty() {
            return None;
        }
        let n = numbers[rng.below(numbers.len())];
        Some(n + [-step, 0.0, step][rng.below(3)])
    };
    match (data_type, class) {
        ("int" | "integer", Class::Good) => match near(rng, 1.0) {
            Some(n) if rng.chance(0.6) => format!("{}", n.trunc() as i64),
            _ => rng
                .pick(&["0", "1", "2", "5", "18", "30", "45", "99"])
                .into(),
        },
        ("int" | "integer", Class::Edge) => rng
            .pick(&[
                "",
                "-1",
                "07",
                " 12 ",
                "2147483647",
                "2147483648",
                "-2147483649",
                "3.0",
            ])
            .into(),
        ("int" | "integer", Class::Bad) => {
            rng.pick(&["abc", "3.7", "1e3", "0x10", "-", "1,5"]).into()
        }
        ("decimal", Class::Good) => match near(rng, 0.5) {
            Some(n) if rng.chance(0.6) => format!("{n}"),
            _ => rng.pick(&["0", "1.5", "2.25", "10", "99.99"]).into(),
        },
        ("decimal", Class::Edge) => rng
            .pick(&["", "-0.5", "3.", ".5", "1.50", "1e-7", " 4.0 "])
            .into(),
        ("decimal", Class::Bad) => rng.pick(&["abc", "1,5", "1e3", "NaN", "Infinity"]).into(),
        ("date", Class::Good) => rng
            .pick(&["2024-01-15", "2000-02-29", "1990-07-20", "2023-12-31"])
            .into(),
        ("date", Class::Edge) => rng
            .pick(&["", "1900-01-01", "2099-12-31", "2024-01-15T10:00:00"])
            .into(),
        ("date", Class::Bad) => rng
            .pick(&["2024-02-30", "15/01/2024", "yesterday", "2024-1-5"])
            .into(),
        ("time", Class::Good) => rng.pick(&["10:30:00", "08:00:00.000", "23:59:59"]).into(),
        ("time", Class::Edge) => rng.pick(&["", "00:00:00", "10:30:00+05:45"]).into(),
        ("time", Class::Bad) => rng.pick(&["25:00:00", "10:30", "noon"]).into(),
        ("dateTime", Class::Good) => rng
            .pick(&["2024-01-15T10:30:00", "2023-06-01T08:00:00.000+05:45"])
            .into(),
        ("dateTime", Class::Edge) => rng.pick(&["", "2024-01-15T00:00:00Z"]).into(),
        ("dateTime", Class::Bad) => rng
            .pick(&["2024-01-15", "2024-01-15 10:30:00", "now"])
            .into(),
        ("geopoint", Class::Good) => rng.pick(&["27.7172 85.324 1400 5", "-1.5 36.8 0 0"]).into(),
        ("geopoint", Class::Edge) => rng.pick(&["", "27.7172 85.324", "0 0 0 0"]).into(),
        ("geotrace" | "geoshape", Class::Good) => {
            "27.7 85.3 0 0;27.8 85.4 0 0;27.8 85.3 0 0;27.7 85.3 0 0".into()
        }
        ("geopoint" | "geotrace" | "geoshape", _) => rng.pick(&["", "abc", "91 0 0 0"]).into(),
        (_, Class::Good) => match strings.is_empty() || rng.chance(0.3) {
            true => rng
                .pick(&["yes", "Ram Bahadur", "Kathmandu", "none", "1", "12"])
                .into(),
            false => rng.pick(strings).into(),
        },
        (_, Class::Edge) => rng
            .pick(&["", " ", "नेपाल", "it's \"quoted\"", "a  b", "0"])
            .into(),
        (_, Class::Bad) => rng.pick(&["<b>x</b>", "line\nbreak", "123abc"]).into(),
    }
}
