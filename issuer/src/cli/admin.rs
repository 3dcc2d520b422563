//! `paycode admin key --admin-key-file F`: makes the issuer-admin key file
//! that `paycode serve --admin-key-file F` checks `/v1/admin/` requests
//! against and an operator's tool signs them with.

use std::path::Path;

use serde_json::json;

use super::{args, bad_value, status, ArgError, Failure, Output};
use crate::server::admin::AdminKey;

pub(super) fn cmd_admin(words: &[String]) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("a subcommand: admin key --admin-key-file F").into());
    };
    if sub != "key" {
        return Err(ArgError::UnknownCommand(format!("admin {sub}")).into());
    }
    let a = args::parse(rest, &["admin-key-file"], &[])?;
    a.no_positional()?;
    let path = a
        .get("admin-key-file")
        .ok_or_else(|| bad_value("--admin-key-file", "name the file to create"))?;
    AdminKey::create(Path::new(path))?;
    // The key itself is not printed: it is in the file, readable by its
    // owner only.
    Ok(Output::json(
        status::OK,
        json!({ "admin_key_file": path, "mode": "0600" }),
    ))
}
