//! Opens a device profile with a PIN, which encrypts a plain profile in place, and prints `open`.
//! The at-rest test SIGKILLs it at random moments of that conversion and checks that the profile
//! is always either still plain or encrypted, with everything in it.
//!
//! Usage: `encrypt_profile DATA_DIR PIN`.

use std::path::Path;

use fieldline_device_store::DeviceStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, pin] = &args[..] else {
        return Err("usage: encrypt_profile DATA_DIR PIN".into());
    };
    DeviceStore::open_with_pin(Path::new(dir), pin)?;
    println!("open");
    Ok(())
}
