// Prints Float.toString for each float given as its IEEE-754 bits (one hex int per line).
import java.nio.file.Files;
import java.nio.file.Path;

public class FloatToString {
    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            out.append(Float.toString(Float.intBitsToFloat(Integer.parseUnsignedInt(line.trim(), 16)))).append('\n');
        }
        System.out.print(out);
    }
}
