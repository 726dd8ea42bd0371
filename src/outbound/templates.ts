import type { AcknowledgementSetting } from '../settings/case-settings.js';

/** The placeholders an acknowledgement template may use. */
export interface AcknowledgementValues {
  CaseNumber: string;
  Subject: string;
  CustomerName: string;
}

/**
 * Replaces `{{Name}}` (spaces inside the braces allowed, name case-insensitive) with its value, in one pass:
 * a value that itself contains `{{...}}` (a customer's subject) is never expanded again.
 * Unknown placeholders stay as written, so a typo is visible instead of silently empty.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const lookup = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return template.replace(
    /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g,
    (whole, name: string) => lookup.get(name.toLowerCase()) ?? whole,
  );
}

/** Subject and text of an acknowledgement. The subject still needs its case tag and header cleaning. */
export function renderAcknowledgement(
  setting: AcknowledgementSetting,
  values: AcknowledgementValues,
): { subject: string; text: string } {
  const v = { ...values };
  return { subject: renderTemplate(setting.Subject, v), text: renderTemplate(setting.Body, v) };
}
