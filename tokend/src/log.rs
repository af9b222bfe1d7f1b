//! One JSON object per line on standard error, in the shape of the application's LOG_FORMAT=json lines
//! (time, level, logger, message, request_id), so one log pipeline reads both.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (civil_from_days, Howard Hinnant): PostgreSQL's timestamptz input and
/// the log's time.
pub fn timestamp(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:06}Z", micros.rem_euclid(1_000_000))
}

pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

pub fn line(level: &str, message: &str, extra: Option<(&str, Value)>) {
    let mut record = json!({"time": timestamp(now_micros()), "level": level, "logger": "tokend", "message": message});
    if let Some((name, value)) = extra {
        record[name] = value;
    }
    eprintln!("{record}");
}

pub fn warning(message: &str) {
    line("WARNING", message, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(timestamp(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(timestamp(1_796_601_599_999_999), "2026-12-06T23:59:59.999999Z");
    }
}
