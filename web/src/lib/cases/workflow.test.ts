// The screens' reading of the workflow table, checked against the hub's own table (the document GET
// /api/cases/workflow serves), so a change of the table that the screens would misread fails here.
import { describe, expect, it } from 'vitest';
import { workflowDocument } from '../../../../hub/cases/workflow.js';
import type { WorkflowDocument } from './types';
import {
  cleanInput,
  decidedKinds,
  formFields,
  isException,
  missingFields,
  offeredTransitions,
  requestedKinds,
  statesActedFrom,
} from './workflow';

const doc = workflowDocument() as unknown as WorkflowDocument;
const row = (action: string) => doc.transitions.find((t) => t.action === action)!;

describe('offered transitions', () => {
  it('keeps the table order, whatever order the allowed actions come in', () => {
    const offered = offeredTransitions(doc, ['requestVoid', 'file']).map((t) => t.action);
    expect(offered).toEqual(['file', 'requestVoid']);
  });

  it('offers nothing the hub did not allow, and nothing unknown', () => {
    expect(offeredTransitions(doc, [])).toEqual([]);
    expect(offeredTransitions(doc, ['fly']).map((t) => t.action)).toEqual([]);
  });

  it('tells the steps from the exception requests and decisions', () => {
    expect(isException(row('dispatch'))).toBe(false);
    expect(isException(row('requestExtension'))).toBe(true);
    expect(isException(row('approveReturn'))).toBe(true);
    expect(isException(row('denyExtension'))).toBe(true);
  });
});

describe('approval queues from the table', () => {
  it('a dispatcher decides returns, extensions and postponements; a shift leader voids and parking', () => {
    expect(decidedKinds(doc, ['dispatcher'])).toEqual(['return', 'extend', 'postpone']);
    expect(decidedKinds(doc, ['shiftLeader'])).toEqual(['void', 'park']);
    expect(decidedKinds(doc, ['acceptor'])).toEqual([]);
    expect(decidedKinds(doc, ['dispatcher', 'shiftLeader'])).toEqual(['return', 'void', 'extend', 'postpone', 'park']);
  });

  it('a department may request every kind; an acceptor only a void', () => {
    expect(requestedKinds(doc, ['department'])).toEqual(['return', 'void', 'extend', 'postpone', 'park']);
    expect(requestedKinds(doc, ['acceptor'])).toEqual(['void']);
    expect(requestedKinds(doc, ['shiftLeader'])).toEqual([]);
  });

  it('lists the states a role acts from, in the table’s state order', () => {
    expect(statesActedFrom(doc, ['shiftLeader'])).toEqual(
      expect.arrayContaining(['accepted', 'handled', 'reinspected', 'closed', 'postponed', 'parked']),
    );
    expect(statesActedFrom(doc, ['shiftLeader'])).not.toContain('reported');
    expect(statesActedFrom(doc, ['acceptor'])).toEqual([
      'reported',
      'verifying',
      'accepted',
      'filed',
      'dispatched',
      'handling',
    ]);
  });
});

describe('action forms', () => {
  it('shows the required fields first, then the optional ones, then note and photos', () => {
    expect(formFields(row('reject'))).toEqual([
      { field: 'reason', required: true },
      { field: 'note', required: false },
      { field: 'attachments', required: false },
    ]);
    expect(formFields(row('handle'))).toEqual([
      { field: 'note', required: true },
      { field: 'attachments', required: true },
    ]);
    expect(formFields(row('dispatch')).map((f) => f.field)).toEqual(['departmentId', 'note', 'attachments']);
  });

  it('chooses the class together with the situation when accepting', () => {
    const fields = formFields(row('accept'));
    expect(fields[0]).toEqual({ field: 'standardId', required: true });
    expect(fields.map((f) => f.field)).not.toContain('classCode');
  });

  it('says which required inputs are missing, blank text and empty lists counting as missing', () => {
    expect(missingFields(row('handle'), { note: '  ', attachments: [] })).toEqual(['note', 'attachments']);
    expect(missingFields(row('handle'), { note: '已修复', attachments: ['m1'] })).toEqual([]);
    expect(missingFields(row('requestExtension'), { reason: '缺配件' })).toEqual(['limit']);
    expect(missingFields(row('supervise'), { supervised: false })).toEqual([]);
    expect(missingFields(row('evaluate'), { score: Number.NaN })).toEqual(['score']);
    expect(missingFields(row('evaluate'), { score: 0 })).toEqual([]);
  });

  it('sends trimmed text and leaves blank fields out', () => {
    expect(cleanInput({ reason: ' 误报 ', note: '', attachments: [], supervised: false, score: 0 })).toEqual({
      reason: '误报',
      supervised: false,
      score: 0,
    });
  });
});
