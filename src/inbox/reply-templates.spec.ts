import { describe, expect, it } from 'vitest';
import { renderTemplate, unknownVariables } from './reply-templates.js';

describe('reply template variables', () => {
  const values = {
    'customer.name': 'Ann',
    'customer.email': 'ann@example.com',
    'case.number': 'CS-1001',
    'case.subject': 'Parcel',
    'agent.name': 'Agnes',
  };
  it('fills in every known variable, with or without blanks inside the braces', () => {
    expect(
      renderTemplate('Hi {{customer.name}}, about {{ case.number }} ({{case.subject}}). {{agent.name}}', values),
    ).toBe('Hi Ann, about CS-1001 (Parcel). Agnes');
  });
  it('names the unknown ones, once each', () => {
    expect(unknownVariables('{{customer.name}} {{order.id}} {{ order.id }} {{}}')).toEqual(['order.id', '']);
    expect(unknownVariables('no variables { here }')).toEqual([]);
  });
});
