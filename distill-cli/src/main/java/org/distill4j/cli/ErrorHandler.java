package org.distill4j.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import org.distill4j.recipe.RecipeException;
import org.distill4j.train.TrainingDivergedException;
import picocli.CommandLine;

/**
 * Turns exceptions into one clear line on stderr and an exit code: the message names the file,
 * key or value at fault; stack traces only with {@code DISTILL4J_DEBUG=1}.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        int code;
        String prefix;
        if (t instanceof RecipeException
                || t instanceof org.distill4j.terms.TermsException
                || t instanceof org.distill4j.terms.UnknownTermsIdException) {
            code = ExitCodes.USAGE;
            prefix = "recipe error: ";
        } else if (t instanceof TrainingDivergedException) {
            code = ExitCodes.DIVERGED;
            prefix = "";
        } else if (t instanceof org.distill4j.terms.DistillationRefusedException) {
            code = ExitCodes.REFUSED;
            prefix = "refused: ";
        } else if (t instanceof org.distill4j.teacher.http.CollectionAbortedException) {
            code = ExitCodes.TEACHER_API;
            prefix = "teacher API: ";
        } else if (t instanceof org.distill4j.provenance.signing.SignatureException) {
            code = ExitCodes.TAMPERED;
            prefix = "refused: ";
        } else if (t instanceof org.distill4j.provenance.signing.KeyFileException) {
            code = ExitCodes.USAGE;
            prefix = "key error: ";
        } else if (t instanceof org.distill4j.teacher.http.JournalException) {
            code = ExitCodes.DATA;
            prefix = "";
        } else if (t instanceof FileNotFoundException
                || t instanceof NoSuchFileException
                || t instanceof org.distill4j.data.DataException) {
            code = ExitCodes.DATA;
            prefix = "";
        } else if (t instanceof IOException) {
            code = ExitCodes.DATA;
            prefix = "I/O error: ";
        } else if (t instanceof IllegalArgumentException) {
            code = ExitCodes.USAGE;
            prefix = "error: ";
        } else {
            code = ExitCodes.SOFTWARE;
            prefix = "internal error (" + t.getClass().getName() + "): ";
        }
        cl.getErr().println("distill: " + prefix + t.getMessage());
        if ("1".equals(System.getenv("DISTILL4J_DEBUG"))) {
            t.printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        return code;
    }
}
