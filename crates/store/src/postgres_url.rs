//! What a PostgreSQL URL asks of sloe beyond what the driver reads itself:
//! how far TLS verifies the server (`sslmode=verify-ca|verify-full`, with
//! `sslrootcert`), and how many connections the pool may hold
//! (`pool_size`). These are taken out of the URL; the rest goes to the
//! driver as given.

use std::path::PathBuf;

/// How far the server's certificate is checked once TLS is on. Whether TLS
/// is on at all (`disable`, `prefer`, `require`) is the driver's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// `prefer`, and `require` without `sslrootcert`: encrypted, the
    /// certificate unchecked.
    Nothing,
    /// `verify-ca`: signed by a trusted root, whatever host it names.
    Ca,
    /// `verify-full`: signed by a trusted root and naming the host.
    Full,
}

/// A URL split into the driver's part and sloe's part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// The URL for the driver, without the options below and with
    /// `verify-*` modes turned into `require`.
    pub driver_url: String,
    pub verify: Verify,
    /// The roots to trust instead of the system's (`sslrootcert`).
    pub root_cert: Option<PathBuf>,
    /// The most connections the pool opens (`pool_size`).
    pub pool_size: Option<u32>,
    /// `sslmode=require` was asked for.
    require: bool,
}

/// Splits `url` (`postgres://…?k=v&…` or libpq's `k=v k=v` form). The error
/// says which option is wrong and why.
pub(crate) fn split(url: &str) -> Result<Options, String> {
    let mut out = Options {
        driver_url: String::new(),
        verify: Verify::Nothing,
        root_cert: None,
        pool_size: None,
        require: false,
    };
    if url.contains("://") {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept: Vec<String> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match take(&mut out, &percent_decode(key)?, &percent_decode(value)?)? {
                Fate::Ours => {}
                Fate::Driver => kept.push(pair.to_owned()),
                Fate::Rewritten(value) => kept.push(format!("{key}={value}")),
            }
        }
        out.driver_url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
    } else {
        let mut kept: Vec<String> = Vec::new();
        for (key, value) in keyword_pairs(url)? {
            let value = match take(&mut out, &key, &value)? {
                Fate::Ours => continue,
                Fate::Driver => value,
                Fate::Rewritten(value) => value.to_owned(),
            };
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{quoted}'"));
        }
        out.driver_url = kept.join(" ");
    }
    // libpq: "if a root CA file exists, the behavior of sslmode=require
    // will be the same as that of verify-ca".
    if out.require && out.root_cert.is_some() {
        out.verify = Verify::Ca;
    }
    Ok(out)
}

/// What becomes of one option of the URL.
enum Fate {
    /// sloe's: read into [`Options`], kept from the driver.
    Ours,
    /// The driver's, as given.
    Driver,
    /// The driver's, with this value instead.
    Rewritten(&'static str),
}

/// Reads `key` into `out` if it is sloe's, and says what the driver gets.
fn take(out: &mut Options, key: &str, value: &str) -> Result<Fate, String> {
    match key {
        "sslmode" => match value {
            "verify-ca" => {
                out.verify = Verify::Ca;
                out.require = false;
                Ok(Fate::Rewritten("require"))
            }
            "verify-full" => {
                out.verify = Verify::Full;
                out.require = false;
                Ok(Fate::Rewritten("require"))
            }
            mode => {
                out.verify = Verify::Nothing;
                out.require = mode == "require";
                Ok(Fate::Driver)
            }
        },
        "sslrootcert" => {
            out.root_cert = Some(PathBuf::from(value));
            Ok(Fate::Ours)
        }
        "pool_size" => match value.parse::<u32>() {
            Ok(n) if n > 0 => {
                out.pool_size = Some(n);
                Ok(Fate::Ours)
            }
            _ => Err(format!(
                "pool_size {value:?} is not a number of connections; expected a whole number above zero"
            )),
        },
        _ => Ok(Fate::Driver),
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{text:?} has a % not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

/// libpq's `key = value` pairs; a value may be quoted with `'`, inside which
/// `\` escapes the next character.
fn keyword_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("option {key:?} has no value; expected {key}=VALUE"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => return Err(format!("the value of {key:?} has no closing quote")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(c);
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> Options {
        split(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn urls_keep_what_the_driver_reads_and_give_up_what_is_ours() {
        let o = ok(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&pool_size=4&application_name=x",
        );
        assert_eq!(
            o.driver_url,
            "postgres://u@h/db?sslmode=require&application_name=x"
        );
        assert_eq!(o.verify, Verify::Full);
        assert_eq!(o.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(o.pool_size, Some(4));

        let o = ok("postgresql://h/db?pool_size=2");
        assert_eq!(o.driver_url, "postgresql://h/db");
        assert_eq!(
            (o.verify, o.root_cert, o.pool_size),
            (Verify::Nothing, None, Some(2))
        );

        let o = ok("postgres://h/db?sslmode=require&options=-csearch_path%3Dx");
        assert_eq!(
            o.driver_url,
            "postgres://h/db?sslmode=require&options=-csearch_path%3Dx"
        );
        assert_eq!(o.verify, Verify::Nothing);

        assert_eq!(ok("postgres://h/db?sslmode=verify-ca").verify, Verify::Ca);
        // As libpq: `require` with a root certificate checks the chain.
        assert_eq!(
            ok("postgres://h/db?sslmode=require&sslrootcert=ca.pem").verify,
            Verify::Ca
        );
        assert_eq!(
            ok("postgres://h/db?sslmode=prefer&sslrootcert=ca.pem").verify,
            Verify::Nothing
        );
    }

    #[test]
    fn keyword_strings_are_split_the_same_way() {
        let o = ok(
            "host=h  dbname = 'my db' sslmode=verify-ca sslrootcert='/a b/ca.pem' pool_size=3 password='it\\'s'",
        );
        assert_eq!(
            o.driver_url,
            "host='h' dbname='my db' sslmode='require' password='it\\'s'"
        );
        assert_eq!(o.verify, Verify::Ca);
        assert_eq!(o.root_cert, Some(PathBuf::from("/a b/ca.pem")));
        assert_eq!(o.pool_size, Some(3));
    }

    #[test]
    fn bad_options_say_what_was_expected() {
        for url in [
            "postgres://h/db?pool_size=0",
            "postgres://h/db?pool_size=many",
            "host=h pool_size=-1",
        ] {
            let err = split(url).expect_err(url);
            assert!(err.contains("expected a whole number above zero"), "{err}");
        }
        assert!(
            split("host=h dbname")
                .expect_err("no value")
                .contains("has no value")
        );
        assert!(
            split("host='h")
                .expect_err("no quote")
                .contains("no closing quote")
        );
        assert!(
            split("postgres://h/db?sslrootcert=%zz")
                .expect_err("bad %")
                .contains("hex")
        );
    }
}
