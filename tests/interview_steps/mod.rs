//! Steps of an interview in the real app, named as an enumerator would say them.

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use fieldline_e2e::TIMEOUT;

/// Waits for the element `css` and returns it.
pub async fn find(client: &Client, css: &str) -> anyhow::Result<Element> {
    client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| anyhow::anyhow!("{css} never appeared: {e}"))
}

pub async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    find(client, css).await?.click().await?;
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
    input.clear().await?;
    input.send_keys(text).await?;
    // Tab leaves the field: the browser's change event commits the answer.
    input.send_keys("\u{E004}").await?;
    Ok(())
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
    fieldline_e2e::wait_text(
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
    fieldline_e2e::wait_text(client, "#save-state", saved_word).await
}
