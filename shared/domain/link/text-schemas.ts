/**
 * The text field of every request schema: 1 to `max` characters, none that text-hygiene.ts
 * refuses (control, bidi, separators, lone surrogates, U+FFFD), the refusal naming the character
 * and its position. In its own module so that a schema needing only this (the list query) does not
 * pull in the create schema and its phone-number metadata.
 */
import { z } from 'zod';
import { textProblem } from '../text-hygiene.js';

export const plainText = (value: string, ctx: z.RefinementCtx): void => {
  const problem = textProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

export const text = (max = 255) => z.string().min(1).max(max).superRefine(plainText);
