//! Steps of an interview in the real app, named as an enumerator would say them.

use crate::TIMEOUT;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

/// Waits for the element `css` and returns it.
pub async fn find(client: &Client, css: &str) -> anyhow::Result<Element> {
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| anyhow::anyhow!("{css} never appeared: {e}"))
}

/// Taps the element `css`, first bringing it to the middle of the screen as a finger would
/// scroll (WebDriver's own scrolling leaves it at the bottom edge, under the step buttons).
pub async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    let element = find(client, css).await?;
    centre(client, &element).await?;
    element
        .click()
        .await
        .map_err(|e| anyhow::anyhow!("tapping {css}: {e}"))?;
    Ok(())
}

/// Scrolls `element` to the middle of the screen.
pub async fn centre(client: &Client, element: &Element) -> anyhow::Result<()> {
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(element)?],
        )
        .await?;
    Ok(())
}

/// Waits until no element matches `css`.
pub async fn gone(client: &Client, css: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if client.find_all(Locator::Css(css)).await?.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} is still on screen")
}

/// Waits for the screen showing `key` (a question's or group's path, `#end`, a repeat's path).
pub async fn on_screen(client: &Client, key: &str) -> anyhow::Result<()> {
    find(client, &format!(r#"[data-screen="{key}"]"#))
        .await
        .map(drop)
        .map_err(|e| anyhow::anyhow!("expected the screen {key}: {e}"))
}

/// Taps the choice `value` of the question at `path`.
pub async fn choose(client: &Client, path: &str, value: &str) -> anyhow::Result<()> {
    let css = format!(r#".question[data-path="{path}"] .choice[data-value="{value}"]"#);
    click(client, &css).await?;
    // The card shows as chosen once the page's engine took the answer.
    find(client, &format!("{css}[aria-checked=\"true\"]")).await?;
    Ok(())
}

/// Types `text` into the question at `path` and leaves the field, which saves the answer.
pub async fn type_answer(client: &Client, path: &str, text: &str) -> anyhow::Result<()> {
    let input = find(client, &format!(r#".question[data-path="{path}"] .answer"#)).await?;
    let typing = async {
        input.clear().await?;
        input.send_keys(text).await?;
        // Tab leaves the field: the browser's change event commits the answer.
        input.send_keys("\u{E004}").await
    };
    typing
        .await
        .map_err(|e| anyhow::anyhow!("typing {text:?} into {path}: {e}"))
}

/// The values of the choices the question at `path` offers now.
pub async fn offered(client: &Client, path: &str) -> anyhow::Result<Vec<String>> {
    let css = format!(r#".question[data-path="{path}"] .choice"#);
    find(client, &css).await?;
    let mut values = Vec::new();
    for choice in client.find_all(Locator::Css(&css)).await? {
        values.extend(choice.attr("data-value").await?);
    }
    Ok(values)
}

/// The message shown under the question at `path`, waiting for it to read `expected`.
pub async fn message_is(client: &Client, path: &str, expected: &str) -> anyhow::Result<()> {
    crate::wait_text(
        client,
        &format!(r#".question[data-path="{path}"] .message"#),
        expected,
    )
    .await
}

pub async fn no_message(client: &Client, path: &str) -> anyhow::Result<()> {
    gone(
        client,
        &format!(r#".question[data-path="{path}"] .message"#),
    )
    .await
}

pub async fn next(client: &Client) -> anyhow::Result<()> {
    click(client, "#next").await
}

/// Waits until every answer given has been saved by the device store.
pub async fn saved(client: &Client, saved_word: &str) -> anyhow::Result<()> {
    crate::wait_text(client, "#save-state", saved_word).await
}

/// Writes an XLSForm workbook from sheets of rows (every cell a string).
pub fn write_workbook(path: &std::path::Path, sheets: &[(&str, &[&[&str]])]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name)?;
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32, c as u16, *cell)?;
                }
            }
        }
    }
    std::fs::write(path, workbook.save_to_buffer()?)?;
    Ok(())
}

/// The device database, read-only, bypassing the app: opened with the key from the test PIN,
/// derived by the device store, since the app keeps it encrypted.
pub fn database(data_dir: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    Ok(fieldline_device_store::open_read_only_with_pin(
        data_dir,
        crate::TEST_PIN,
    )?)
}

/// Every outbox payload, parsed, in device order.
pub fn outbox_payloads(data_dir: &std::path::Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let conn = database(data_dir)?;
    let mut stmt = conn.prepare("SELECT payload FROM outbox ORDER BY device_seq")?;
    let rows = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    let mut payloads = Vec::new();
    for bytes in rows {
        payloads.push(serde_json::from_slice(&bytes?)?);
    }
    Ok(payloads)
}

/// Starts an interview of the form `form_id` from the home screen; when the form is not listed,
/// the failure says what the home screen reported about it.
pub async fn start_interview_of(client: &Client, form_id: &str) -> anyhow::Result<()> {
    let css = format!(r#".form-card[data-form-id="{form_id}"] .start-interview"#);
    if let Err(err) = click(client, &css).await {
        let mut notices = Vec::new();
        for notice in client.find_all(Locator::Css(".notice")).await? {
            notices.push(notice.text().await?);
        }
        anyhow::bail!("{err}; the home screen says {notices:?}");
    }
    Ok(())
}

/// An 8x8 red PNG.
pub const PICTURE: [u8; 74] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x4b, 0x6d, 0x29,
    0xdc, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0xa1, 0xa1, 0x81,
    0x15, 0x31, 0x0c, 0x2d, 0x09, 0x00, 0x82, 0x5d, 0x46, 0x01, 0x17, 0x62, 0x89, 0x75, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
