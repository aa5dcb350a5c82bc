/** Differential oracle for the restaurant's personas [4..7): the personas with row filters and masks (the suite is in differential.ts). */
import { RESTAURANT } from '../support/domains.js';
import { differentialSuite } from './differential.js';

differentialSuite(RESTAURANT, 4, 7);
