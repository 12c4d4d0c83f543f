/**
 * Teachers (models whose outputs students learn from) and the on-disk cache of their outputs.
 */
package org.distill4j.teacher;
