import { describe, expect, it } from 'vitest';
import { renderAcknowledgement, renderTemplate } from './templates.js';

describe('acknowledgement templates', () => {
  it('fills the placeholders, case-insensitively and with spaces in the braces', () => {
    expect(
      renderTemplate('Hi {{ customername }}, case {{CaseNumber}}', { CustomerName: 'Anna', CaseNumber: 'CS-1001' }),
    ).toBe('Hi Anna, case CS-1001');
  });

  it('a value is never expanded again, and unknown placeholders stay visible', () => {
    expect(renderTemplate('{{Subject}} {{Nope}}', { Subject: '{{CaseNumber}}', CaseNumber: 'CS-1' })).toBe(
      '{{CaseNumber}} {{Nope}}',
    );
  });

  it('renders subject and body', () => {
    const r = renderAcknowledgement(
      { Enabled: true, Subject: 'Re: {{Subject}}', Body: 'Dear {{CustomerName}}: {{CaseNumber}}' },
      { CaseNumber: 'CS-9', Subject: 'Lamp', CustomerName: 'Bo' },
    );
    expect(r).toEqual({ subject: 'Re: Lamp', text: 'Dear Bo: CS-9' });
  });
});
