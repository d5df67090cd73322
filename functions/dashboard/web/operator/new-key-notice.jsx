/** A key as it is made: shown this once, with a copy button. */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** @typedef {{ apiKey: string, organizationName: string }} NewKey */

/**
 * @param {{ newKey: NewKey, onDismiss: () => void }} props
 */
export function NewKeyNotice({ newKey, onDismiss }) {
  const [copied, setCopied] = useState(/** @type {'yes' | 'no' | null} */ (null));
  const keyText = useRef(/** @type {HTMLElement | null} */ (null));
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));

  useLayoutEffect(() => box.current?.focus(), []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(newKey.apiKey);
      setCopied('yes');
    } catch {
      // No clipboard (permissions, an old browser): select the key for a manual copy.
      const selection = window.getSelection();
      if (keyText.current && selection) selection.selectAllChildren(keyText.current);
      setCopied('no');
    }
  };

  return (
    <div class="new-key" ref={box} tabIndex={-1} role="group" aria-labelledby="new-key-title">
      <p class="new-key-title" id="new-key-title">
        New API key for {newKey.organizationName}
      </p>
      <p class="small">Copy it now: Polaris keeps only its hash, so it is shown this once.</p>
      <div class="new-key-row">
        <code class="new-key-value" ref={keyText} data-new-api-key>
          {newKey.apiKey}
        </code>
        <button class="button button-primary" type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="small" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'The clipboard is not available here: the key is selected, press Ctrl+C (⌘C) to copy it.' : ''}
      </p>
      <button class="button button-quiet" type="button" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}
