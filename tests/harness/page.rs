//! Reading and filling a web page, for the dashboard's tests in Chromium.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::TIMEOUT;

/// Replaces the text of the input `css` with `text`.
pub async fn type_into(client: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    let input = client.find(Locator::Css(css)).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Fills the dashboard's sign-in form and submits it (what follows is for the caller to wait
/// for: the campaigns, or the form's error).
pub async fn sign_in(client: &Client, email: &str, password: &str) -> anyhow::Result<()> {
    type_into(client, "#email", email).await?;
    type_into(client, "#password", password).await?;
    crate::steps::click(client, "#sign-in-button").await
}

/// The texts of the elements matching `css`, in page order.
pub async fn texts(client: &Client, css: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await? {
        out.push(element.text().await?);
    }
    Ok(out)
}

/// Waits until `css` matches more than `count` elements; returns their texts.
pub async fn more_than(client: &Client, css: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let found = texts(client, css).await?;
        if found.len() > count {
            return Ok(found);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{css} never matched more than {count} elements; last seen: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the page's scripts can read of what it keeps: `[document.cookie, sessionStorage.length,
/// localStorage.length]`.
pub async fn script_readable_storage(client: &Client) -> anyhow::Result<serde_json::Value> {
    Ok(client
        .execute(
            "return [document.cookie, sessionStorage.length, localStorage.length]",
            vec![],
        )
        .await?)
}
