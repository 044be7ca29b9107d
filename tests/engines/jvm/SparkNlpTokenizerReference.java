// A line-by-line Java transcription of Spark NLP's text-to-ids path for
// DistilBertForSequenceClassification (TokenizerModel with default settings,
// DistilBertClassification.tokenizeWithAlignment, BasicTokenizer, WordpieceEncoder),
// run on the JVM so that Java's own Character, String.toLowerCase, Normalizer and
// regex semantics decide the expected output of the Python engine.
//
// Usage: java SparkNlpTokenizerReference.java VOCAB.txt CASE_SENSITIVE INPUTS.txt
// INPUTS: one text per line, every char \\uXXXX-escaped. Output: one line per input:
// tokens (escaped, joined by \\u0001), a tab, then the piece ids.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class SparkNlpTokenizerReference {
    static final String CTX = ".,;:!?*-()\"'";
    static final String PROTECT_CHAR = "\u2188";
    static final String BREAK_CHAR = "\u2187";
    static final Pattern BREAK_PATTERN = Pattern.compile("[^(?:\\S+)" + PROTECT_CHAR + "]");
    static final Pattern SPLIT_PATTERN = Pattern.compile("[^" + BREAK_CHAR + "]+");
    static final Pattern RULE;
    static {
        StringBuilder q = new StringBuilder();
        for (char c : CTX.toCharArray()) q.append("\\").append(c);
        String ctx = q.toString();
        RULE = Pattern.compile("\\A([" + ctx + "]*)([^" + ctx + "](?:.*[^" + ctx + "])*)([" + ctx + "]*)\\z");
    }

    static List<String> tokenize(String text) {
        String prot = BREAK_PATTERN.matcher(text).replaceAll(BREAK_CHAR);
        Matcher candidates = SPLIT_PATTERN.matcher(prot);
        List<String> tokens = new ArrayList<>();
        while (candidates.find()) {
            String cand = candidates.group();
            Matcher m = RULE.matcher(cand);
            List<String> parts = new ArrayList<>();
            if (m.find()) {
                for (int i = 1; i <= m.groupCount(); i++) parts.add(m.group(i));
            } else {
                parts.add(text.substring(candidates.start(), candidates.end()));
            }
            for (String p : parts) if (!p.isEmpty() && p.length() <= 99999) tokens.add(p);
        }
        return tokens;
    }

    // --- BasicTokenizer -------------------------------------------------
    static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.isWhitespace(c);
    }
    static boolean isControl(char c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        return Character.isISOControl(c);
    }
    static boolean isToFilter(char c) {
        int cp = c;
        return cp == 0 || cp == 0xfffd || isControl(c);
    }
    static boolean isPunctuation(char c) {
        int cp = c;
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        try {
            String name = Character.getName((int) c);
            return name != null && name.contains("PUNCTUATION");
        } catch (Exception e) {
            return false;
        }
    }
    static boolean isChinese(char ch) {
        int c = ch;
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
            || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
            || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
    static String stripAccents(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFD).replaceAll("\\p{InCombiningDiacriticalMarks}+", "");
    }
    static String normalize(String text, boolean caseSensitive) {
        StringBuilder sb = new StringBuilder();
        for (char c : stripAccents(text.trim()).toCharArray()) if (!isToFilter(c)) sb.append(c);
        String result = sb.toString();
        return caseSensitive ? result : result.toLowerCase();
    }
    static List<String> basicTokenize(String s, boolean caseSensitive) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && isWhitespace(s.charAt(i)) && !isPunctuation(s.charAt(i))) i++;
            int end = i;
            while (end < s.length() && !isToFilter(s.charAt(end)) && !isPunctuation(s.charAt(end)) && !isChinese(s.charAt(end))
                && !isWhitespace(s.charAt(end))) end++;
            if (end > i) { String n = normalize(s.substring(i, end), caseSensitive); if (!n.isEmpty()) tokens.add(n); }
            if (end < s.length() && (isPunctuation(s.charAt(end)) || isChinese(s.charAt(end)))) {
                String n = normalize(s.substring(end, end + 1), caseSensitive); if (!n.isEmpty()) tokens.add(n);
            }
            i = end + 1;
        }
        return tokens;
    }

    // --- WordpieceEncoder -------------------------------------------------
    static List<Integer> encode(String token, Map<String, Integer> vocab) {
        int unk = vocab.get("[UNK]");
        List<Integer> result = new ArrayList<>();
        if (token.length() > 200) { result.add(unk); return result; }
        int start = 0, end = token.length();
        while (end > start && start < token.length()) {
            String toFind = (start > 0 ? "##" : "") + token.substring(start, end);
            Integer found = vocab.get(toFind);
            if (found != null) { result.add(found); start = end; end = token.length(); }
            else { end = end - 1; if (end == start) { List<Integer> u = new ArrayList<>(); u.add(unk); return u; } }
        }
        return result;
    }

    static String unescape(String line) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < line.length(); ) {
            if (line.startsWith("\\u", i)) { sb.append((char) Integer.parseInt(line.substring(i + 2, i + 6), 16)); i += 6; }
            else { sb.append(line.charAt(i)); i++; }
        }
        return sb.toString();
    }
    static String escape(String text) {
        StringBuilder sb = new StringBuilder();
        for (char c : text.toCharArray()) sb.append(String.format("\\u%04x", (int) c));
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> vocab = new HashMap<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) vocab.put(lines.get(i), i);
        boolean caseSensitive = Boolean.parseBoolean(args[1]);
        StringBuilder out = new StringBuilder();
        for (String raw : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8)) {
            String text = unescape(raw);
            List<String> tokens = tokenize(text);
            List<String> escaped = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (String token : tokens) {
                escaped.add(escape(token));
                if (token.equals(" ")) continue;
                String content = caseSensitive ? token : token.toLowerCase();
                List<String> pieces = basicTokenize(content, caseSensitive);
                String first = pieces.isEmpty() ? "" : pieces.get(0);
                if (first.isEmpty()) continue;
                for (int id : encode(first, vocab)) ids.add(Integer.toString(id));
            }
            out.append(String.join("\u0001", escaped)).append('\t').append(String.join(" ", ids)).append('\n');
        }
        System.out.print(out);
    }
}
