/** Option value parsers shared by the validate, bench and gates commands. */
import { InvalidArgumentError } from 'commander';

export function intInRange(min: number, max: number, what: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected ${what}: an integer from ${min} to ${max}.`);
    return n;
  };
}
