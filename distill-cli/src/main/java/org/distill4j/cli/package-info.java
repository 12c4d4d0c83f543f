/**
 * The {@code distill} command line: picocli commands, each a thin shell over distill-core (parse,
 * call the library, print), plus exit codes and progress display.
 */
package org.distill4j.cli;
