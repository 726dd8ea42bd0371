import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getIfPresent, post } from './api.js';
import { loadDraft, saveDraft } from './drafts.js';
import type { ReplyTemplate } from './types.js';

export type ReplyKind = 'reply' | 'note';

/**
 * The reply box: a public reply sent by email, or an internal note. The draft is kept per case and kind. A reply
 * composed while the thread changed (409 STALE_THREAD) is held back until the agent has looked and sends anyway.
 */
export function ReplyBox(props: {
  caseId: string;
  threadVersion: string | undefined;
  kind: ReplyKind;
  onKind: (kind: ReplyKind) => void;
  onSent: () => void;
  onTyping: (typing: boolean) => void;
  textareaRef: { current: HTMLTextAreaElement | null };
}) {
  const { caseId, kind } = props;
  const [text, setText] = useState(() => loadDraft(caseId, kind));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [stale, setStale] = useState(false);
  const [templates, setTemplates] = useState<ReplyTemplate[] | undefined>();
  const opened = useRef(props.threadVersion);

  useEffect(() => setText(loadDraft(caseId, kind)), [caseId, kind]);
  useEffect(() => {
    if (!opened.current) opened.current = props.threadVersion;
  }, [props.threadVersion]);
  useEffect(() => {
    getIfPresent<ReplyTemplate[] | { Items: ReplyTemplate[] }>('/api/reply-templates')
      .then((t) => setTemplates(Array.isArray(t) ? t : t?.Items))
      .catch(() => setTemplates(undefined));
  }, []);
  // "Replying" while the box has the focus and text; a draft left alone is not someone replying.
  const [focused, setFocused] = useState(false);
  const replying = focused && text.length > 0;
  useEffect(() => props.onTyping(replying), [replying]);

  const update = (value: string) => {
    setText(value);
    saveDraft(caseId, kind, value);
  };

  async function insertTemplate(id: string) {
    if (!id) return;
    try {
      const { Body } = await post<{ Body: string }>(
        `/api/cases/${encodeURIComponent(caseId)}/reply-templates/${encodeURIComponent(id)}/render`,
      );
      update(text ? `${text}\n\n${Body}` : Body);
      props.textareaRef.current?.focus();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function send(anyway: boolean) {
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      const body: Record<string, unknown> = {
        Comment: text,
        IsPublic: kind === 'reply',
        SendEmailNotification: kind === 'reply',
      };
      if (!anyway && opened.current) body.IfThreadVersion = opened.current;
      await post(`/api/cases/${encodeURIComponent(caseId)}/notes`, body);
      saveDraft(caseId, kind, '');
      setText('');
      setStale(false);
      opened.current = undefined;
      props.onSent();
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && /IfThreadVersion/.test(err.message) && !anyway) {
        // A server without stale-thread checks: send as it is.
        opened.current = undefined;
        return send(true);
      }
      if (err instanceof ApiError && err.code === 'STALE_THREAD') {
        setStale(true);
        props.onSent(); // shows what changed
      } else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const label = kind === 'reply' ? 'Reply to the customer' : 'Internal note';
  // Templates for the kind being written (one without the flag suits both).
  const shownTemplates = (templates ?? []).filter((t) => t.Public === undefined || t.Public === (kind === 'reply'));
  return (
    <section class={`reply-box ${kind}`} aria-label="Reply">
      <div role="tablist" aria-label="Reply or note" class="tabs">
        <button type="button" role="tab" aria-selected={kind === 'reply'} onClick={() => props.onKind('reply')}>
          Reply (email)
        </button>
        <button type="button" role="tab" aria-selected={kind === 'note'} onClick={() => props.onKind('note')}>
          Internal note
        </button>
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send(false);
        }}
      >
        <label for="reply-text">{label}</label>
        <textarea
          id="reply-text"
          ref={props.textareaRef}
          rows={6}
          value={text}
          onInput={(e) => update(e.currentTarget.value)}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(false);
            if (e.key === 'Escape') e.currentTarget.blur();
          }}
        />
        {stale && (
          <div role="alert" class="warning">
            The case changed since you opened it. Read the new messages above, then send anyway or edit.
            <button type="button" disabled={busy} onClick={() => void send(true)}>
              Send anyway
            </button>
          </div>
        )}
        {error && <p role="alert">{error}</p>}
        <div class="reply-actions">
          {shownTemplates.length > 0 && (
            <label>
              Insert template
              <select onChange={(e) => (void insertTemplate(e.currentTarget.value), (e.currentTarget.value = ''))}>
                <option value="">Choose…</option>
                {shownTemplates.map((t) => (
                  <option value={t.Id}>{t.Name}</option>
                ))}
              </select>
            </label>
          )}
          <button type="submit" class="primary" disabled={busy || !text.trim()}>
            {kind === 'reply' ? 'Send reply' : 'Save note'}
          </button>
        </div>
      </form>
    </section>
  );
}
