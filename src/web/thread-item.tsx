import { useState } from 'preact/hooks';
import { formatDate, formatSize } from './format.js';
import type { EmailItem, NoteItem, StatusItem, ThreadAttachment, ThreadItem as Item } from './types.js';

function Attachments(props: { list: ThreadAttachment[] }) {
  if (props.list.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Attachments">
      {props.list.map((a) => (
        <li>
          <a href={a.Url} download={a.FileName}>
            {a.FileName}
          </a>{' '}
          <span class="muted">
            {a.ContentType}, {formatSize(a.Size)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/**
 * The sanitised HTML in a frame that may open links in a new window and nothing else: no scripts, no access to
 * this page (no same-origin), and remote images only when the agent asks (the server's CSP for the frame says so).
 */
function HtmlFrame(props: { url: string; title: string }) {
  const [remote, setRemote] = useState(false);
  const src = remote ? `${props.url}${props.url.includes('?') ? '&' : '?'}remote=1` : props.url;
  return (
    <div class="html-frame">
      <iframe
        src={src}
        title={props.title}
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        loading="lazy"
      />
      {!remote && (
        <button type="button" onClick={() => setRemote(true)}>
          Load remote images
        </button>
      )}
    </div>
  );
}

function Email(props: { item: EmailItem }) {
  const { item } = props;
  const [full, setFull] = useState(false);
  const incoming = item.Direction === 'in';
  return (
    <article
      class={`item email ${incoming ? 'in' : 'out'}`}
      aria-label={`${incoming ? 'Email from' : 'Email to'} ${incoming ? item.From : item.To.join(', ')}`}
    >
      <header>
        <strong>{incoming ? item.From : `To ${item.To.join(', ')}`}</strong>
        <span class="kind">{incoming ? 'Email' : 'Reply sent by email'}</span>
        {item.Status && <span class="badge">{item.Status}</span>}
        <time dateTime={item.At}>{formatDate(item.At)}</time>
      </header>
      {item.Cc.length > 0 && <p class="muted">Cc {item.Cc.join(', ')}</p>}
      <div class="body">{item.ReplyText}</div>
      {item.QuotedText && (
        <details>
          <summary>Show quoted text</summary>
          <div class="body quoted">{item.QuotedText}</div>
        </details>
      )}
      <Attachments list={item.Attachments} />
      <div class="item-actions">
        {item.HasHtml && item.HtmlUrl && (
          <button type="button" aria-expanded={full} onClick={() => setFull(!full)}>
            {full ? 'Hide full message' : 'Show full message'}
          </button>
        )}
        {item.RawUrl && <a href={item.RawUrl}>Download original</a>}
      </div>
      {full && item.HtmlUrl && <HtmlFrame url={item.HtmlUrl} title={`Message: ${item.Subject}`} />}
    </article>
  );
}

function Note(props: { item: NoteItem }) {
  const { item } = props;
  return (
    <article
      class={`item note ${item.Public ? 'public' : 'internal'}`}
      aria-label={`${item.Public ? 'Public note' : 'Internal note'} by ${item.AuthorName}`}
    >
      <header>
        <strong>{item.AuthorName}</strong>
        <span class="kind">{item.Public ? 'Public reply' : 'Internal note'}</span>
        {item.Email && <span class="badge">email {item.Email}</span>}
        <time dateTime={item.At}>{formatDate(item.At)}</time>
      </header>
      <div class="body">{item.Text}</div>
      <Attachments list={item.Attachments} />
    </article>
  );
}

function Status(props: { item: StatusItem }) {
  const { item } = props;
  return (
    <p class={`item status ${item.Reopened ? 'reopened' : ''}`}>
      {item.Reopened ? 'Reopened: ' : 'Status: '}
      {item.From ? `${item.From} → ${item.To}` : item.To}
      {item.ByName ? ` by ${item.ByName}` : ''} · <time dateTime={item.At}>{formatDate(item.At)}</time>
    </p>
  );
}

export function ThreadItem(props: { item: Item }) {
  const { item } = props;
  if (item.Kind === 'email') return <Email item={item} />;
  if (item.Kind === 'note') return <Note item={item} />;
  return <Status item={item} />;
}
