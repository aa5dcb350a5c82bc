/** Differential oracle for the restaurant's personas [0..2) (the suite is in differential.ts). */
import { RESTAURANT } from '../support/domains.js';
import { differentialSuite } from './differential.js';

differentialSuite(RESTAURANT, 0, 2);
