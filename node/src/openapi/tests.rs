//! The schemas held to the parsers they describe: each pattern admits exactly what the node
//! decodes.

use regex::Regex;

use super::*;
use crate::tx::decimal;

fn pattern_of<T: PartialSchema>() -> Regex {
    let schema = serde_json::to_value(T::schema()).unwrap();
    Regex::new(schema["pattern"].as_str().unwrap()).unwrap()
}

#[test]
fn the_decimal_pattern_admits_exactly_the_numbers_up_to_max() {
    // Every digit string of up to five characters against every max up to 1,200 (and a few
    // larger): the pattern and the arithmetic agree.
    let strings: Vec<String> =
        (1..=4u32).flat_map(|len| (0..10u32.pow(len)).map(move |n| format!("{n:0len$}", len = len as usize))).collect();
    for max in (0..=1_200u128).chain([9_999, 10_000, 1_000, 5_000, 9_000, 1_999]) {
        let pattern = Regex::new(&decimal_pattern(max)).unwrap();
        for s in &strings {
            let canonical = s == "0" || !s.starts_with('0');
            let expected = canonical && s.parse::<u128>().unwrap() <= max;
            assert_eq!(pattern.is_match(s), expected, "max {max}, {s:?}");
        }
    }
}

#[test]
fn the_amount_pattern_is_the_amount_parser() {
    let pattern = pattern_of::<Amount>();
    let max = u128::MAX.to_string();
    let mut cases: Vec<String> =
        ["0", "1", "10", "01", "00", "", "-1", "+1", " 1", "1 ", "1e6", "1.0", "0x10", "١"].map(str::to_owned).into();
    // Around 2^128 − 1, and numbers of every length up to 40 digits.
    for delta in 0..=1_000u128 {
        cases.push((u128::MAX - delta).to_string());
    }
    cases.push("340282366920938463463374607431768211456".into());
    cases.push("340282366920938463463374607431768211460".into());
    cases.push("340282366920938463463374607431768212455".into());
    cases.push("999999999999999999999999999999999999999".into());
    cases.push(format!("{max}0"));
    cases.push(format!("0{max}"));
    for length in 1..=40 {
        cases.push("9".repeat(length));
        cases.push(format!("1{}", "0".repeat(length - 1)));
    }
    // Every spelling that differs from 2^128 − 1 in one digit.
    for position in 0..max.len() {
        for digit in b'0'..=b'9' {
            let mut bytes = max.clone().into_bytes();
            bytes[position] = digit;
            cases.push(String::from_utf8(bytes).unwrap());
        }
    }
    for case in &cases {
        assert_eq!(pattern.is_match(case), decimal::parse(case).is_ok(), "{case:?}");
    }
}

#[test]
fn the_signature_pattern_admits_the_recovery_bytes_the_node_accepts() {
    let pattern = pattern_of::<Signature>();
    let body = "ab".repeat(64);
    for v in 0..=255u8 {
        let accepted = matches!(v, 0 | 1 | 27 | 28);
        for spelling in [format!("{v:02x}"), format!("{v:02X}")] {
            assert_eq!(pattern.is_match(&format!("0x{body}{spelling}")), accepted, "v = {spelling}");
        }
    }
    assert!(!pattern.is_match(&format!("0x{}1b", "ab".repeat(63))));
    assert!(!pattern.is_match(&format!("0X{body}1b")));
}

#[test]
fn the_label_pattern_counts_bytes_as_characters() {
    let pattern = Regex::new(LABEL_PATTERN).unwrap();
    for c in (0..=0x7fu8).map(char::from).chain(['é', '€', '😀']) {
        assert_eq!(pattern.is_match(&c.to_string()), (' '..='~').contains(&c), "{c:?}");
        assert_eq!(crate::tx::check_label(&c.to_string()).is_ok(), (' '..='~').contains(&c), "{c:?}");
    }
    let limit = tidepool_abi::limits::MAX_LABEL_LEN as usize;
    assert!(crate::tx::check_label(&"a".repeat(limit)).is_ok());
    assert!(crate::tx::check_label(&"a".repeat(limit + 1)).is_err());
}

#[test]
fn the_address_and_hash_patterns_are_the_parsers() {
    let address = pattern_of::<Address>();
    let hash = pattern_of::<Hash>();
    let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
    // Mixed case with a wrong checksum: the API accepts any case.
    let mixed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
    for s in [
        lower,
        mixed,
        "0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        &lower[..41],
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg",
    ] {
        assert_eq!(address.is_match(s), tidepool_ledger::Address::from_hex(s).is_ok(), "{s}");
    }
    let h = format!("0x{}", "aB".repeat(32));
    for s in [h.as_str(), &h[..65], "0X00", &h.to_uppercase()] {
        assert_eq!(hash.is_match(s), s.parse::<tidepool_ledger::Hash>().is_ok(), "{s}");
    }
}
