import jakarta.servlet.http.*;
import java.io.IOException;

/** One dynamic page: the user's session counter and which Tomcat answered. */
public class Page extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HttpSession s = req.getSession(true);
        Integer n = (Integer) s.getAttribute("n");
        n = n == null ? 1 : n + 1;
        s.setAttribute("n", n);
        resp.setContentType("text/plain");
        resp.getWriter().print("route=" + System.getProperty("hsv.route") + " new=" + s.isNew() + " n=" + n + "\n");
    }
}
